import { Context } from '@temporalio/activity';
import type { CentreInput, RetrieveResult } from '../../schemas/payloads.ts';
import type { ActivityDeps } from '../deps.ts';
import { retrieveCentre } from './retrieve-centre.ts';

export function retrieveActivities(deps: ActivityDeps) {
  return {
    /** Stages a centre's drop and records its inventory; a new retrieval starts the centre's lake partitions afresh. */
    async retrieveCentre({ centre: id }: CentreInput): Promise<RetrieveResult> {
      const centre = deps.centre(id);
      for (const table of ['inventory', 'records', 'images', 'exclusions']) await deps.lake.clearPartition(table, id);
      const result = await retrieveCentre(centre, deps.loaded.centreFolder(centre), deps.layout, (done) => {
        if (done % 50 === 0) Context.current().heartbeat({ objects: done });
      });
      await deps.lake.writeShard('inventory', id, 'objects', result.objects);
      await deps.lake.writeShard('exclusions', id, 'retrieve', result.exclusions);
      return {
        objects: result.objects.length + result.exclusions.filter((e) => e.reason === 'not-a-regular-file').length,
        images: result.objects.filter((o) => o.kind === 'image').length,
        metadataFiles: result.objects.filter((o) => o.kind === 'metadata').length,
        bytes: result.bytes,
        excluded: result.exclusions.length,
      };
    },
  };
}
