import semver from 'semver';
import type { z } from 'zod';
import { CatalogEntry, CatalogIndex, RecordedReasons, Snapshot, type ChangeReason, type RecordedRelease } from '../../../schemas/catalog.ts';
import { getText } from '../../storage/blob-store.ts';
import type { Storage } from '../../storage/storage.ts';
import { CHANGES_FILE } from './changes-file.ts';
import { MANIFEST } from '../manifest.ts';

const INDEX = 'index.json';
const SNAPSHOT = 'snapshot.json';
const REASONS = 'reasons.json';

/** What a version's build writes into the catalog besides its index entry. */
export interface VersionFiles {
  snapshot: Snapshot;
  /** the version's CHANGES.md and MANIFEST.sha256, as released */
  changes: string;
  manifest: string;
  /** the reasons given for the lesions and images this version added or removed */
  reasons: RecordedReasons;
}

/**
 * The private catalog of release versions (`StorageLayout.catalog`): `index.json` lists them, and
 * `<version>/` holds each one's snapshot, reasons, CHANGES.md and manifest. Versions are named by
 * number, `latest` or `previous` (the one before latest).
 */
export class ReleaseCatalog {
  constructor(private readonly storage: Storage) {}

  /** where the catalog is, for messages */
  get where(): string {
    return this.storage.store.where(this.storage.layout.catalog(''));
  }

  private key(...parts: string[]): string {
    return this.storage.layout.catalog(parts.join('/'));
  }

  /** Every recorded version, oldest first. */
  async versions(): Promise<CatalogEntry[]> {
    const index = await this.readJson(this.key(INDEX), CatalogIndex).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return { versions: [] };
      throw err;
    });
    return index.versions.sort((a, b) => semver.compare(a.version, b.version));
  }

  async latest(): Promise<CatalogEntry | undefined> {
    return (await this.versions()).at(-1);
  }

  /** The index entry of a version number, `latest` or `previous`; an unknown one is an error naming the versions there are. */
  async resolve(ref: string): Promise<CatalogEntry> {
    const versions = await this.versions();
    const known = versions.map((v) => v.version).join(', ');
    if (versions.length === 0) throw new Error(`release version ${ref} not found: no release version is recorded yet in ${this.where}`);
    if (ref === 'latest') return versions.at(-1)!;
    if (ref === 'previous') {
      if (versions.length < 2) throw new Error(`release version previous not found: the catalog holds only ${known}`);
      return versions.at(-2)!;
    }
    const wanted = semver.clean(ref);
    const entry = versions.find((v) => v.version === wanted);
    if (!entry) throw new Error(`release version ${ref} not found: the catalog holds ${known} (or use latest, previous)`);
    return entry;
  }

  /** A version's index entry and snapshot. */
  async read(ref: string): Promise<RecordedRelease> {
    const entry = await this.resolve(ref);
    return { entry, snapshot: await this.readJson(this.key(entry.version, SNAPSHOT), Snapshot) };
  }

  /** A version's CHANGES.md, to put back into a release that an unchanged rebuild rewrote. */
  async changes(ref: string): Promise<string> {
    return getText(this.storage.store, this.key((await this.resolve(ref)).version, CHANGES_FILE));
  }

  /**
   * The reasons recorded for lesions and images added or removed after version `from` up to and
   * including `to`, the latest reason winning, so a diff over several versions keeps them. Empty when
   * `to` is not later than `from` (a backwards diff has no recorded reasons).
   */
  async reasonsBetween(from: string, to: string): Promise<Map<string, ChangeReason>> {
    const between = (await this.versions()).filter((v) => semver.gt(v.version, from) && semver.lte(v.version, to));
    const reasons = new Map<string, ChangeReason>();
    for (const version of between) {
      const recorded = await this.readJson(this.key(version.version, REASONS), RecordedReasons);
      for (const [id, reason] of Object.entries(recorded)) reasons.set(id, reason);
    }
    return reasons;
  }

  /**
   * Records a new version: its files first, then the index, each written atomically, so the index
   * never names a version whose files are missing. Recording the same version with the same content
   * again (a retried activity) changes nothing; anything else that does not follow the latest version
   * is refused.
   */
  async record(entry: CatalogEntry, files: VersionFiles): Promise<void> {
    const versions = await this.versions();
    const existing = versions.find((v) => v.version === entry.version);
    if (existing) {
      if (existing.contentHash === entry.contentHash) return;
      throw new Error(`release version ${entry.version} is already recorded with content hash ${existing.contentHash}, not ${entry.contentHash}`);
    }
    const latest = versions.at(-1);
    if ((latest?.version ?? null) !== entry.previousVersion || (latest && !semver.gt(entry.version, latest.version))) {
      throw new Error(`release version ${entry.version} (after ${entry.previousVersion ?? 'none'}) does not follow the latest recorded version ${latest?.version ?? '(none)'}`);
    }
    const { store } = this.storage;
    await store.put(this.key(entry.version, SNAPSHOT), JSON.stringify(Snapshot.parse(files.snapshot)));
    await store.put(this.key(entry.version, REASONS), JSON.stringify(RecordedReasons.parse(files.reasons)));
    await store.put(this.key(entry.version, CHANGES_FILE), files.changes);
    await store.put(this.key(entry.version, MANIFEST), files.manifest);
    await store.put(this.key(INDEX), `${JSON.stringify(CatalogIndex.parse({ versions: [...versions, entry] }), null, 2)}\n`);
  }

  private async readJson<T>(key: string, schema: z.ZodType<T>): Promise<T> {
    const file = this.storage.store.where(key);
    const text = await getText(this.storage.store, key);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`release catalog file '${file}' is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`release catalog file '${file}' is not valid: ${issues.join('; ')}`);
    }
    return parsed.data;
  }
}
