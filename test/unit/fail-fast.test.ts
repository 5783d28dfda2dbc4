import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { permanentFailure } from '../../activities/fail-fast.ts';
import { MissingCredentials, s3ClientFor } from '../../activities/storage/s3-client.ts';

describe('which failures wait and which fail at once', () => {
  it('fails at once, with the fix, on a missing bucket, unknown credentials, or a configured folder that is not there', () => {
    const bucket = Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
    expect(permanentFailure(bucket)).toMatchObject({ nonRetryable: true, type: 'NoSuchBucket', message: expect.stringMatching(/^NoSuchBucket: the bucket does not exist: check the bucket name/) });
    expect(permanentFailure(Object.assign(new Error('x'), { name: 'InvalidAccessKeyId' }))?.message).toMatch(/check the credentials/);
    const folder = Object.assign(new Error("ENOENT: no such file or directory, scandir '/srv/drops/vienna'"), { code: 'ENOENT', syscall: 'scandir', path: '/srv/drops/vienna' });
    expect(permanentFailure(folder)?.message).toBe("'/srv/drops/vienna' does not exist or is not a folder (ENOENT): check the path in temporal.yml");
    let missing: unknown;
    try {
      s3ClientFor({ bucket: 'b', prefix: '', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyIdEnv: 'MILK_TEST_UNSET_KEY', secretAccessKeyEnv: 'MILK_TEST_UNSET_SECRET' } });
    } catch (err) {
      missing = err;
    }
    expect(missing).toBeInstanceOf(MissingCredentials);
    expect(permanentFailure(missing)).toBeInstanceOf(ApplicationFailure);
  });

  it('lets environmental failures be retried: a full or unwritable store, a 5xx storm, a reset', () => {
    for (const code of ['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'ECONNRESET']) expect(permanentFailure(Object.assign(new Error(code), { code, syscall: 'open' }))).toBeUndefined();
    expect(permanentFailure(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))).toBeUndefined();
    // a staged object gone missing is not a mistyped folder
    expect(permanentFailure(Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open' }))).toBeUndefined();
  });
});
