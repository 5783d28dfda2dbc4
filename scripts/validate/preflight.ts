import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pMap from 'p-map';
import { permanentFailure } from '../../activities/fail-fast.ts';
import { parseCentreMetadata, type MetadataFile } from '../../activities/parse/parse-metadata.ts';
import { openCentreSource, type ListedObject } from '../../activities/retrieve/centre-source.ts';
import { classifyObject } from '../../activities/retrieve/classify-object.ts';
import { Lake } from '../../activities/storage/lake.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { tables } from '../../activities/storage/tables.ts';
import type { Centre, LoadedConfig } from '../../schemas/config.ts';

/** One kind of problem in a centre's drop: its reason, how many, and where (file and row; values only with details). */
export interface ProblemGroup {
  reason: string;
  count: number;
  examples: string[];
}

/** What a build would find at one centre, without Temporal and without staging anything. */
export interface CentrePreflight {
  centre: string;
  source: string;
  /** the centre could not be listed or its metadata read: the one line why */
  error?: string;
  objects: number;
  images: number;
  metadataFiles: number;
  other: number;
  rows: number;
  records: number;
  problems: ProblemGroup[];
  unknownColumns: string[];
  /** against the storage root's inventory of the last build: objects new, changed (size or ETag), deleted */
  changes?: { new: number; changed: number; deleted: number; unchanged: number };
}

const EXAMPLES = 3;

/**
 * Lists each centre's drop and parses its metadata with the dialect, as the build's retrieve and
 * parse would (columns present, values in the vocabulary, referenced images in the drop), reading
 * only the metadata files. `details` puts the rows' own words (values, file names) into the
 * examples; without it they name file kind, row and field only, so the report can be shared.
 */
export async function preflight(loaded: LoadedConfig, options: { details: boolean; changes: boolean }): Promise<CentrePreflight[]> {
  const lake = options.changes ? new Lake(openStorage(loaded).store) : undefined;
  return pMap(loaded.config.centres, (centre) => preflightCentre(loaded, centre, options.details, lake), { concurrency: 2 });
}

async function preflightCentre(loaded: LoadedConfig, centre: Centre, details: boolean, lake: Lake | undefined): Promise<CentrePreflight> {
  const source = openCentreSource(centre, loaded);
  const result: CentrePreflight = { centre: centre.id, source: source.description, objects: 0, images: 0, metadataFiles: 0, other: 0, rows: 0, records: 0, problems: [], unknownColumns: [] };
  let listed: ListedObject[];
  try {
    listed = await source.list();
  } catch (err) {
    return { ...result, error: permanentFailure(err)?.message ?? (err as Error).message };
  }
  const kinds = listed.map((o) => classifyObject(o.key, centre.dialect));
  result.objects = listed.length;
  result.images = kinds.filter((k) => k === 'image').length;
  result.metadataFiles = kinds.filter((k) => k === 'metadata').length;
  result.other = kinds.filter((k) => k === 'other').length;
  if (result.metadataFiles === 0) return { ...result, error: `no metadata file: the dialect expects ${centre.dialect.layout === 'sidecar' ? `a ${centre.dialect.sidecarExtension} sidecar beside each image` : centre.dialect.metadataFile}` };

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'milk-validate-'));
  try {
    const metadata = listed.filter((_, i) => kinds[i] === 'metadata');
    const files: MetadataFile[] = await pMap(
      metadata,
      async (object, i) => {
        const file = path.join(scratch, String(i));
        const { sha256 } = await source.fetch(object, file);
        return { object: { centre: centre.id, key: object.key, size: object.size, sha256, etag: object.etag, kind: 'metadata' as const }, bytes: await readFile(file) };
      },
      { concurrency: 8 },
    );
    const images = new Set(listed.filter((_, i) => kinds[i] === 'image').map((o) => o.key));
    const parsed = parseCentreMetadata(files, centre.dialect, images);
    result.records = parsed.records.length;
    result.rows = parsed.records.length + parsed.exclusions.filter((e) => e.entity === 'record').length;
    result.unknownColumns = [...new Set(parsed.notes.filter((n) => n.note === 'unknown-column').map((n) => n.detail))].sort();
    const groups = new Map<string, ProblemGroup>();
    for (const e of parsed.exclusions) {
      const group = groups.get(e.reason) ?? { reason: e.reason, count: 0, examples: [] };
      group.count++;
      if (group.examples.length < EXAMPLES) group.examples.push(details ? e.detail : e.row === undefined ? `${e.entity}` : `row ${e.row}`);
      groups.set(e.reason, group);
    }
    result.problems = [...groups.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  } catch (err) {
    return { ...result, error: permanentFailure(err)?.message ?? (err as Error).message };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  if (lake) {
    const previous = new Map((await lake.read(tables.inventory, centre.id)).map((o) => [o.key, o]));
    const changes = { new: 0, changed: 0, deleted: 0, unchanged: 0 };
    for (const o of listed) {
      const before = previous.get(o.key);
      if (!before) changes.new++;
      else if (before.size !== o.size || before.etag !== o.etag) changes.changed++;
      else changes.unchanged++;
      previous.delete(o.key);
    }
    changes.deleted = previous.size;
    result.changes = changes;
  }
  return result;
}

/** The report as text: a block per centre, problems grouped by reason with a few rows each. */
export function formatPreflight(centres: readonly CentrePreflight[]): string {
  const lines: string[] = [];
  for (const c of centres) {
    lines.push(`${c.centre} (${c.source}): ${c.error ? 'ERROR' : c.problems.length > 0 ? `${c.problems.reduce((n, p) => n + p.count, 0)} problem(s)` : 'ok'}`);
    if (c.error) {
      lines.push(`  ${c.error}`);
      continue;
    }
    lines.push(`  ${c.objects} objects: ${c.images} images, ${c.metadataFiles} metadata file(s), ${c.other} other; ${c.rows} rows, ${c.records} would become records`);
    for (const p of c.problems) lines.push(`  ${p.reason}: ${p.count} (${p.examples.join('; ')}${p.count > p.examples.length ? '; ...' : ''})`);
    if (c.unknownColumns.length > 0) lines.push(`  columns the dialect does not map (kept out of the records): ${c.unknownColumns.length}`);
    if (c.changes) lines.push(`  against the last build: ${c.changes.new} new, ${c.changes.changed} changed, ${c.changes.deleted} deleted, ${c.changes.unchanged} unchanged`);
  }
  return lines.join('\n');
}
