import { ApplicationFailure } from '@temporalio/activity';
import { MissingCredentials } from './storage/s3-client.ts';

/** What the store says when the configuration, not the moment, is wrong, and what to fix. */
const PERMANENT_S3: Record<string, string> = {
  NoSuchBucket: 'the bucket does not exist: check the bucket name in temporal.yml',
  InvalidBucketName: 'the bucket name is not valid: check it in temporal.yml',
  InvalidAccessKeyId: 'the access key id is not known to the store: check the credentials the config names (or the AWS standard chain)',
  SignatureDoesNotMatch: 'the secret access key does not match the key id: check the credentials',
  AccessDenied: 'the credentials may not do this: check the key\'s permissions on the bucket and prefix',
  PermanentRedirect: 'the bucket is in another region or needs another endpoint: check region and endpoint',
  AuthorizationHeaderMalformed: 'the region does not match the bucket\'s: check region',
};

/** Local errors no retry repairs: a configured folder that is not there (or not a folder). */
const PERMANENT_FS = new Set(['ENOENT', 'ENOTDIR']);

/**
 * The failure to report for an error no retry can fix (bad credentials, a missing bucket, a centre
 * folder that does not exist): non-retryable, one line with the fix; undefined for every other error,
 * which is retried with the configured backoff (a full or unwritable store, a 5xx storm pass).
 */
export function permanentFailure(err: unknown): ApplicationFailure | undefined {
  const e = err as { name?: string; code?: string; syscall?: string; path?: string; message?: string };
  const fix = e.name === undefined ? undefined : PERMANENT_S3[e.name];
  if (fix) return ApplicationFailure.nonRetryable(`${e.name}: ${fix} (${e.message ?? ''})`, e.name);
  // Listing a folder that is not there: a mistyped centre or storage path.
  if (e.code && PERMANENT_FS.has(e.code) && (e.syscall === 'scandir' || e.syscall === 'opendir')) {
    return ApplicationFailure.nonRetryable(`${e.path ? `'${e.path}'` : 'a configured folder'} does not exist or is not a folder (${e.code}): check the path in temporal.yml`, e.code);
  }
  if (err instanceof MissingCredentials) return ApplicationFailure.nonRetryable(err.message, 'MissingCredentials');
  return undefined;
}

/** Each activity of the group, reporting errors no retry fixes as non-retryable at once. */
export function failingFast<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        try {
          return await activity(...args);
        } catch (err) {
          throw permanentFailure(err) ?? err;
        }
      },
    ]),
  ) as T;
}
