import { Command } from 'commander';
import { formatSourceExclusion, sourceExclusion } from '../../activities/provenance/source-exclusion.ts';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { AuditQuery, type Lineage } from '../../schemas/provenance.ts';
import { formatLineage } from '../../activities/provenance/format-lineage.ts';
import { lineage } from '../../activities/provenance/lineage.ts';
import { readProvenance } from '../../activities/storage/provenance/provenance-table.ts';
import { Lake } from '../../activities/storage/lake.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { ReviewLog } from '../../activities/storage/review-log.ts';
import { withReviews } from '../../activities/provenance/review-lineage.ts';

/**
 * `milk audit <id> [key]`: the whole lineage of a case from the private provenance events, for an
 * auditor's terminal. It reads `private/` only and writes nothing.
 */
export function auditCommand(): Command {
  return new Command('audit')
    .description('print the lineage of a lesion (IL_…), an image (ISIC_…) or a centre object (<centre> <key>) from the private provenance events')
    .argument('<id>', 'IL_ or ISIC_ id, or a centre id followed by the source key')
    .argument('[key]', 'source key of the object inside the centre drop (when <id> is a centre)')
    .option('-c, --config <file>', 'deployment config (its storage root holds the provenance)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the lineage as one JSON object')
    .action(async (id: string, key: string | undefined, opts: { config: string; json?: boolean }) => {
      const loaded = loadConfig(opts.config);
      const query = auditQuery(loaded, id, key);
      // An object the latest build left out shows its exclusion too; one no step took further, only that.
      const exclusion = query.kind === 'source' ? await sourceExclusion(lakeOf(loaded), query.centre, query.key) : undefined;
      const found = await auditLineage(loaded, query).catch((err: unknown) => {
        if (exclusion) return undefined;
        throw err;
      });
      if (opts.json) console.log(JSON.stringify({ ...found, ...(exclusion && { exclusion }) }));
      else console.log([found && formatLineage(found), exclusion && formatSourceExclusion(exclusion)].filter(Boolean).join('\n\n'));
    });
}

/** The lineage of a case, or an error saying that nothing was recorded for it. */
export async function auditLineage(loaded: LoadedConfig, query: AuditQuery): Promise<Lineage> {
  const recorded = lineage(await readProvenance(lakeOf(loaded)), query);
  const { store, layout } = openStorage(loaded);
  const found = recorded && withReviews(recorded, await new ReviewLog(store, layout).read());
  // The message never repeats a source key: errors may end up in logs.
  if (!found) throw new Error(`no provenance recorded for ${query.kind === 'source' ? `that key of centre ${query.centre}` : query.id} under ${loaded.storageRoot}`);
  return found;
}

function lakeOf(loaded: LoadedConfig): Lake {
  return new Lake(openStorage(loaded).store);
}

/** Reads the command line's `<id> [key]` as a lesion id, an image id or a centre and key. */
export function auditQuery(loaded: LoadedConfig, id: string, key: string | undefined): AuditQuery {
  if (/^IL_/.test(id) || /^ISIC_/.test(id)) {
    const query = AuditQuery.safeParse({ kind: id.startsWith('IL_') ? 'lesion' : 'image', id });
    if (!query.success || key !== undefined) throw new Error(`${id} is not a public id of the form IL_1234567 or ISIC_1234567 (taking no key)`);
    return query.data;
  }
  if (!loaded.config.centres.some((c) => c.id === id)) {
    throw new Error(`the first argument is neither an IL_/ISIC_ id nor a centre of ${loaded.file} (${loaded.config.centres.map((c) => c.id).join(', ')})`);
  }
  if (key === undefined) throw new Error(`give the source key of the object after the centre: milk audit ${id} <key>`);
  return { kind: 'source', centre: id, key };
}
