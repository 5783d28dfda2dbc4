import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { BlobStore } from './blob-store.ts';

const IdMapFile = z.object({
  lesions: z.record(z.string(), z.string()),
  images: z.record(z.string(), z.string()),
});

/**
 * Public ids are random (`IL_`/`ISIC_` + 7 digits), so they carry nothing about the source; the
 * private map from source identity to public id is persisted so every rebuild keeps them.
 */
export class PublicIds {
  private readonly issued: Set<string>;
  private readonly avoided = new Set<string>();

  private constructor(private readonly store: BlobStore, private readonly key: string, private readonly map: z.infer<typeof IdMapFile>) {
    this.issued = new Set([...Object.values(map.lesions), ...Object.values(map.images)]);
  }

  /** The map at `key` (StorageLayout.idMap), or an empty one before the first build. */
  static async open(store: BlobStore, key: string): Promise<PublicIds> {
    const bytes = await store.get(key);
    if (bytes === undefined) return new PublicIds(store, key, { lesions: {}, images: {} });
    try {
      return new PublicIds(store, key, IdMapFile.parse(JSON.parse(bytes.toString('utf8'))));
    } catch (err) {
      // JSON's messages quote the text around the fault, which holds local ids: name the kind of fault only.
      const reason = err instanceof z.ZodError ? err.issues[0]?.message : 'not valid JSON';
      throw new Error(`public id map ${store.where(key)} is unreadable: ${reason}`);
    }
  }

  /** `sourceKey` is the centre plus the local patient and lesion ids. */
  lesion(sourceKey: string): string {
    return (this.map.lesions[sourceKey] ??= this.fresh('IL_'));
  }

  /** `sourceKey` is the centre plus the sha256 of the image as sent. */
  image(sourceKey: string): string {
    return (this.map.images[sourceKey] ??= this.fresh('ISIC_'));
  }

  /** Public lesion id -> its private lesion key (`centre/patientId/lesionId`): private, for the single writers that need the way back. */
  lesionKeys(): Map<string, string> {
    return new Map(Object.entries(this.map.lesions).map(([key, id]) => [id, key]));
  }

  /** Local ids that are 7 digits must never come back as the digits of a public id (the leak scan would rightly object). */
  avoid(localIds: Iterable<string>): void {
    for (const id of localIds) if (/^\d{7}$/.test(id)) this.avoided.add(id);
  }

  async save(): Promise<void> {
    await this.store.put(this.key, JSON.stringify(this.map));
  }

  private fresh(prefix: string): string {
    for (;;) {
      const digits = String(randomInt(10_000_000)).padStart(7, '0');
      const id = `${prefix}${digits}`;
      if (!this.issued.has(id) && !this.avoided.has(digits)) {
        this.issued.add(id);
        return id;
      }
    }
  }
}
