import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type FailureConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { dataConverterFromEnvironment } from '../../worker/payload-codec.ts';

const NAME = 'Garcia Pablo';

/** The converter exactly as Temporal loads it: require() of `failureConverterPath`. */
const { failureConverter } = createRequire(import.meta.url)(dataConverterFromEnvironment({}).failureConverterPath) as { failureConverter: FailureConverter };

function failureText(err: unknown): string {
  return JSON.stringify(failureConverter.errorToFailure(err, defaultPayloadConverter));
}

describe('the failure converter', () => {
  it('takes the folder names out of a real ENAMETOOLONG and its stack trace, keeping the code frames', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'deep-'));
    let dir = root;
    for (let i = 0; i < 8; i++) {
      dir = path.join(dir, `${NAME} ${i}`);
      mkdirSync(dir);
    }
    const error = await readdir(path.join(dir, `${NAME} `.repeat(40)), { recursive: true }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toContain(NAME);
    const text = failureText(new Error('retrieving centre vienna failed', { cause: error }));
    expect(text).not.toContain(NAME);
    expect(text).not.toContain('Garcia');
    expect(text).toMatch(/ENAMETOOLONG|ENOENT/);
    expect(text).toContain('retrieving centre vienna failed');
    expect(text).toContain('failure-converter.test.ts'); // a code frame of the stack trace
  });

  it('redacts quoted values, absolute paths and s3:// URLs, and keeps the words around them', () => {
    const text = failureText(new Error(`fetch of s3://drops/vienna/${NAME.replace(" ", "-")}.jpg failed; open "/data/vienna/${NAME}/a.jpg"; key '${NAME}.jpg'; at /srv/drops/${NAME.replace(' ', '_')}/x`));
    expect(text).not.toContain('Garcia');
    expect(text).toContain('fetch of <redacted> failed; open <redacted>; key <redacted>; at <redacted>');
  });

  it('redacts an unquoted path with spaces in its folder names whole, up to the end of its clause', () => {
    const text = failureText(new Error(`cannot read /drops/vienna/${NAME}/IMG 0001.jpg: permission denied; then /drops/${NAME} (EACCES), and C:\\drops\\Garcia, Pablo\\x y.jpg; done`));
    expect(text).not.toContain('Garcia');
    expect(text).not.toContain('Pablo');
    expect(text).toContain('cannot read <redacted>: permission denied; then <redacted>(EACCES), and <redacted>; done');
  });

  it('keeps public release paths and reason words, which carry no source value', () => {
    const message = 'leak scan found 2 PHI value(s) in the release: MILK10k_Training_Input/IL_1234567/ISIC_7654321.jpg (segments byte 20 (latin1)): name';
    expect(failureText(new Error(message))).toContain(message);
  });
});
