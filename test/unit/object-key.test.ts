import { describe, expect, it } from 'vitest';
import { safeStagingName } from '../../activities/retrieve/object-key.ts';

const rejected = (key: string) => {
  const result = safeStagingName(key);
  return typeof result === 'string' ? undefined : result.rejected;
};

describe('safeStagingName', () => {
  it.each([
    ['IL_0020208/ISIC_1234567.jpg'],
    ['MILK10k_Training_Metadata.csv'],
    ['centre a/scan (1) + notes.jpg'],
    ['caf\u00e9/\u00e9.jpg'],
    ['\u76ae\u819a/\u75c5\u53d8.png'],
    ['a..b/c...jpg'],
    ['.hidden/x.jpg'],
  ])('accepts %j unchanged', (key) => {
    expect(safeStagingName(key)).toBe(key);
  });

  it.each([
    ['../x', "'..' segment"],
    ['a/../../b', "'..' segment"],
    ['a/..', "'..' segment"],
    ['./x', "'.' segment"],
    ['/etc/passwd', 'absolute path'],
    ['C:/Windows/x.jpg', 'absolute path'],
    ['a\\b', 'backslash'],
    ['..\\..\\x', 'backslash'],
    ['a//b', 'empty segment'],
    ['folder/', 'folder marker'],
    ['', 'empty'],
    ['a\u0000b.jpg', 'control character'],
    ['a\nb.jpg', 'control character'],
    ['a\u007fb.jpg', 'control character'],
    ['a\u0085b.jpg', 'control character'],
    ['e\u0301.jpg', 'normalisation form C'],
    ['\u202Egpj.exe', 'bidirectional'],
    ['x\u2066y.jpg', 'bidirectional'],
    ['zero\u200Bwidth.jpg', 'invisible'],
    ['\uFEFFbom.jpg', 'invisible'],
    ['lone\uD800.jpg', 'lone surrogate'],
    ['private\uE000.jpg', 'private-use'],
    ['x'.repeat(1025), 'longer than 1024 bytes'],
  ])('rejects %j (%s)', (key, reason) => {
    expect(rejected(key)).toContain(reason);
  });

  it('names the key in the reason', () => {
    expect(rejected('../x')).toBe(`object key "../x" has a '..' segment`);
  });
});
