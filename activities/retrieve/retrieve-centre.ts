import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Centre } from '../../schemas/config.ts';
import type { Exclusion, SourceObject } from '../../schemas/records.ts';
import { exists, sha256 } from '../storage/files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { classifyObject } from './classify-object.ts';
import { listFolder } from './list-folder.ts';

export interface RetrievedCentre {
  objects: SourceObject[];
  exclusions: Exclusion[];
  bytes: number;
}

/** Lists a centre's folder, hashes every object and stages it (content-addressed) under private/. */
export async function retrieveCentre(
  centre: Centre,
  folder: string,
  layout: StorageLayout,
  onProgress: (done: number) => void,
): Promise<RetrievedCentre> {
  const objects: SourceObject[] = [];
  const exclusions: Exclusion[] = [];
  let bytes = 0;
  const files = await listFolder(folder);
  for (const [i, file] of files.entries()) {
    onProgress(i);
    if (!file.regular) {
      exclusions.push({ centre: centre.id, stage: 'retrieve', entity: 'object', reason: 'not-a-regular-file', detail: `${file.key} is not a regular file`, key: file.key });
      continue;
    }
    const content = await readFile(file.absolute);
    const digest = sha256(content);
    const staged = layout.staged(digest);
    if (!(await exists(staged))) {
      await mkdir(path.dirname(staged), { recursive: true });
      await copyFile(file.absolute, staged);
    }
    const kind = classifyObject(file.key, centre.dialect);
    objects.push({ centre: centre.id, key: file.key, size: content.length, sha256: digest, kind });
    bytes += content.length;
    if (kind === 'other') {
      exclusions.push({ centre: centre.id, stage: 'retrieve', entity: 'object', reason: 'unrecognised-object', detail: `${file.key} is neither the metadata file nor an image`, key: file.key, sha256: digest });
    }
  }
  return { objects, exclusions, bytes };
}
