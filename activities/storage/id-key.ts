import { randomBytes } from 'node:crypto';
import type { Storage } from './storage.ts';

/** Environment variable that may hold the id key (any secret of 32 or more characters), instead of the stored one. */
export const ID_KEY_ENV = 'MILK_ID_KEY';

/**
 * The secret public ids are keyed with (public-ids.ts): MILK_ID_KEY when set, else the key under
 * private/ (created, random, by the first build). Whoever keeps it can rebuild the same ids and the
 * same benchmark from the drops alone; it never goes into a release, payload or log.
 */
export async function idKey({ store, layout }: Storage, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const fromEnv = env[ID_KEY_ENV]?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error(`${ID_KEY_ENV} must be a secret of at least 32 characters (the value set has ${fromEnv.length}, not shown)`);
    return Buffer.from(fromEnv, 'utf8');
  }
  const stored = await store.get(layout.idKey);
  if (stored) return stored;
  const fresh = Buffer.from(randomBytes(32).toString('hex'), 'utf8');
  // Assemble, the only stage that issues ids, is a single writer: no two builds create it at once.
  await store.put(layout.idKey, fresh);
  return fresh;
}
