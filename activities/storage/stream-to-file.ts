import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface WrittenStream {
  /** hex sha256 of the bytes written */
  sha256: string;
  size: number;
}

/**
 * Streams `source` into `target` through a temporary sibling, computing sha256 as the bytes pass
 * (no second read) and refusing more or fewer bytes than expected; the rename makes it atomic.
 * `where` names the source in errors.
 */
export async function streamToFile(source: Readable, target: string, expectedSize: number, where: string, signal?: AbortSignal): Promise<WrittenStream> {
  const tmp = `${target}.${randomBytes(6).toString('hex')}.part`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > expectedSize) throw new Error(`${where}: more than the expected ${expectedSize} bytes`);
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(tmp, { flags: 'wx' }),
      signal ? { signal } : {},
    );
    if (size !== expectedSize) throw new Error(`${where}: got ${size} bytes, expected ${expectedSize}`);
    await rename(tmp, target);
  } catch (err) {
    source.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}
