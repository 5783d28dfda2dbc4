import { rm } from 'node:fs/promises';
import pMap from 'p-map';
import type { Centre } from '../../schemas/config.ts';
import type { Exclusion, ObjectChange, SourceObject } from '../../schemas/records.ts';
import type { Storage } from '../storage/storage.ts';
import { UnreadableObject, type CentreSource, type ListedObject } from './centre-source.ts';
import { classifyObject } from './classify-object.ts';
import { DefinitiveFetchError } from './s3-fetch.ts';
import { safeStagingName } from './object-key.ts';

export interface RetrieveOptions {
  maxObjectBytes: number;
  fetchesInFlight: number;
  /** the centre's inventory of the previous build: unchanged objects (key, size, etag) are not fetched again */
  previous: readonly SourceObject[];
  /** objects a crashed earlier attempt of this retrieval already staged */
  done: readonly SourceObject[];
  /** called as each object is staged, with whether this attempt transferred its bytes (for progress and resume) */
  onStaged(object: SourceObject, fetched: boolean): void;
}

export interface RetrieveCounts {
  seen: number;
  new: number;
  changed: number;
  unchanged: number;
  deleted: number;
  failed: number;
  /** objects whose bytes this attempt transferred */
  fetched: number;
  fetchedBytes: number;
}

export interface RetrievedCentre {
  objects: SourceObject[];
  exclusions: Exclusion[];
  changes: ObjectChange[];
  counts: RetrieveCounts;
  bytes: number;
}

/**
 * Lists a centre's store and stages every acceptable object under private/, content-addressed by
 * the sha256 computed while it streams. Unchanged objects (same key, size and etag as the previous
 * build) and objects a crashed attempt already staged are not fetched again. Keys that could escape
 * staging or read ambiguously, empty and oversized objects, and keys that differ only by case become
 * exclusions; so does an object the store definitively refuses (gone, forbidden, changed since the
 * listing). A transient failure (a cut body after its resumes, a 5xx storm) throws, so the activity
 * is retried and resumes after the objects already staged.
 */
export async function retrieveCentre(centre: Centre, source: CentreSource, storage: Storage, options: RetrieveOptions): Promise<RetrievedCentre> {
  // Partial downloads of a crashed attempt are raw centre bytes: gone before this attempt stages anew.
  await storage.store.discardScratch(centre.id);
  const listed = await source.list();
  const exclusions: Exclusion[] = [];
  const exclude = (object: ListedObject, reason: string, detail: string) =>
    exclusions.push({ centre: centre.id, stage: 'retrieve', entity: 'object', reason, detail: `${object.key}: ${detail}`, key: object.key });
  const byLowerCase = new Map<string, number>();
  for (const o of listed) byLowerCase.set(o.key.toLowerCase(), (byLowerCase.get(o.key.toLowerCase()) ?? 0) + 1);
  const previous = new Map(options.previous.map((o) => [o.key, o]));
  const done = new Map(options.done.map((o) => [o.key, o]));
  const counts: RetrieveCounts = { seen: listed.length, new: 0, changed: 0, unchanged: 0, deleted: 0, failed: 0, fetched: 0, fetchedBytes: 0 };
  const changes: ObjectChange[] = [];

  const staged = await pMap(
    listed,
    async (object): Promise<SourceObject | undefined> => {
      if (object.unreadable) return void exclude(object, 'unreadable-object', `cannot be listed or read (${object.unreadable})`);
      const safe = safeStagingName(object.key);
      if (typeof safe !== 'string') return void exclude(object, 'unsafe-key', safe.rejected);
      if (!object.regular) return void exclude(object, 'not-a-regular-file', 'is not a regular file');
      if (byLowerCase.get(object.key.toLowerCase())! > 1) return void exclude(object, 'case-collision', 'another key differs from it only by letter case');
      if (object.size === 0) return void exclude(object, 'empty-object', 'is empty');
      if (object.size > options.maxObjectBytes) return void exclude(object, 'too-large', `is ${object.size} bytes, over the limit of ${options.maxObjectBytes}`);

      const before = previous.get(object.key);
      const same = (o: SourceObject | undefined) => o !== undefined && o.size === object.size && o.etag === object.etag;
      const reusable = [done.get(object.key), before].find(same);
      let sha256: string;
      let fetched = false;
      if (reusable && (await storage.store.exists(storage.layout.staged(reusable.sha256)))) {
        sha256 = reusable.sha256;
      } else {
        try {
          sha256 = await fetchInto(source, object, centre.id, storage);
        } catch (err) {
          if (err instanceof UnreadableObject) return void exclude(object, 'unreadable-object', err.message);
          // Only the store's definitive answer excludes; anything transient fails the attempt, and the retry resumes.
          if (!(err instanceof DefinitiveFetchError)) throw err;
          counts.failed++;
          return void exclude(object, 'fetch-failed', (err as Error).message);
        }
        counts.fetched++;
        counts.fetchedBytes += object.size;
        fetched = true;
      }
      const change = before === undefined ? 'new' : same(before) && before.sha256 === sha256 ? undefined : 'changed';
      if (change) changes.push({ centre: centre.id, key: object.key, change });
      counts[change ?? 'unchanged']++;
      const result: SourceObject = { centre: centre.id, key: object.key, size: object.size, sha256, etag: object.etag, kind: classifyObject(object.key, centre.dialect) };
      if (result.kind === 'other') exclude(object, 'unrecognised-object', 'is neither the metadata file nor an image');
      options.onStaged(result, fetched);
      return result;
    },
    { concurrency: options.fetchesInFlight },
  );

  const seen = new Set(listed.map((o) => o.key));
  for (const o of options.previous) {
    if (seen.has(o.key)) continue;
    counts.deleted++;
    changes.push({ centre: centre.id, key: o.key, change: 'deleted' });
  }
  const objects = staged.filter((o): o is SourceObject => o !== undefined);
  return { objects, exclusions: exclusions.sort(byKey), changes: changes.sort(byKey), counts, bytes: objects.reduce((n, o) => n + o.size, 0) };
}

/** Streams into a fresh scratch file, then moves it to its content address in the store. */
async function fetchInto(source: CentreSource, object: ListedObject, centre: string, { store, layout }: Storage): Promise<string> {
  const incoming = await store.scratchFile(centre);
  try {
    const { sha256 } = await source.fetch(object, incoming);
    const target = layout.staged(sha256);
    if (!(await store.exists(target))) await store.putFile(incoming, target);
    return sha256;
  } finally {
    await rm(incoming, { force: true });
  }
}

const byKey = <T extends { key?: string }>(a: T, b: T) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0);
