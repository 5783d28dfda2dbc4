import { readFile } from 'node:fs/promises';
import type { CentreInput, ParseResult } from '../../schemas/payloads.ts';
import { SourceObject } from '../../schemas/records.ts';
import type { ActivityDeps } from '../deps.ts';
import { parseMetadata } from './parse-metadata.ts';

export function parseActivities(deps: ActivityDeps) {
  return {
    /** Harmonises a centre's metadata file into private records; bad rows become exclusions. */
    async parseCentre({ centre: id }: CentreInput): Promise<ParseResult> {
      const centre = deps.centre(id);
      const inventory = await deps.lake.read('inventory', SourceObject, id);
      const metadata = inventory.find((o) => o.kind === 'metadata');
      const images = new Set(inventory.filter((o) => o.kind === 'image').map((o) => o.key));
      const parsed = metadata
        ? parseMetadata(await readFile(deps.layout.staged(metadata.sha256)), metadata, centre.dialect, images)
        : {
            records: [],
            exclusions: [{ centre: id, stage: 'parse' as const, entity: 'object' as const, reason: 'metadata-file-missing', detail: `the drop has no ${centre.dialect.metadataFile}` }],
          };
      await deps.lake.writeShard('records', id, 'records', parsed.records);
      await deps.lake.writeShard('exclusions', id, 'parse', parsed.exclusions);
      const rowExclusions = parsed.exclusions.filter((e) => e.entity === 'record').length;
      return { rows: parsed.records.length + rowExclusions, records: parsed.records.length, excluded: parsed.exclusions.length };
    },
  };
}
