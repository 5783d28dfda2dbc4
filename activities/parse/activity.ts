import { Context } from '@temporalio/activity';
import type { Dialect } from '../../schemas/dialect.ts';
import type { CentreInput, ParseResult } from '../../schemas/payloads.ts';
import type { Exclusion, SourceObject } from '../../schemas/records.ts';
import type { ActivityDeps } from '../deps.ts';
import { getRequired } from '../storage/blob-store.ts';
import { tables } from '../storage/tables.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { parseEvents } from './provenance-events.ts';
import { parseCentreMetadata, type MetadataFile, type ParsedMetadata } from './parse-metadata.ts';

export function parseActivities(deps: ActivityDeps) {
  return {
    /** Harmonises every metadata file of a centre into private records; bad rows become exclusions, unmapped columns notes. */
    async parseCentre({ centre: id }: CentreInput): Promise<ParseResult> {
      const centre = deps.centre(id);
      const inventory = await deps.lake.read(tables.inventory, id);
      const metadata = inventory.filter((o) => o.kind === 'metadata');
      const images = new Set(inventory.filter((o) => o.kind === 'image').map((o) => o.key));
      const parsed: ParsedMetadata = metadata.length
        ? parseCentreMetadata(await readStaged(deps, metadata), centre.dialect, images)
        : { records: [], exclusions: [metadataMissing(id, centre.dialect)], notes: [] };
      await deps.lake.writeShard(tables.records, id, 'records', parsed.records);
      await deps.lake.writeShard(tables.exclusions, id, 'parse', parsed.exclusions);
      await deps.lake.writeShard(tables.notes, id, 'parse', parsed.notes);
      // Parse runs on every build; only records that are new or differ from what was recorded before are events.
      await recordProvenance(deps, id, parseEvents(parsed.records, metadata), { onlyChanges: true });
      const rowExclusions = parsed.exclusions.filter((e) => e.entity === 'record').length;
      return {
        rows: parsed.records.length + rowExclusions,
        records: parsed.records.length,
        excluded: parsed.exclusions.length,
        // distinct names across the centre's files (a sidecar drop repeats the same columns in every file)
        unknownColumns: new Set(parsed.notes.filter((n) => n.note === 'unknown-column').map((n) => n.detail)).size,
      };
    },
  };
}

/** The staged bytes of the metadata objects; a sidecar drop has one per image, so this heartbeats as it goes. */
async function readStaged(deps: ActivityDeps, objects: readonly SourceObject[]): Promise<MetadataFile[]> {
  const files: MetadataFile[] = [];
  for (const [i, object] of objects.entries()) {
    if (i % 500 === 499) Context.current().heartbeat({ metadataFiles: i + 1 });
    files.push({ object, bytes: await getRequired(deps.store, deps.layout.staged(object.sha256)) });
  }
  return files;
}

function metadataMissing(centre: string, dialect: Dialect): Exclusion {
  const expected = dialect.layout === 'sidecar' ? `sidecar (${dialect.sidecarExtension}) file` : dialect.metadataFile;
  return { centre, stage: 'parse', entity: 'object', reason: 'metadata-file-missing', detail: `the drop has no ${expected}` };
}
