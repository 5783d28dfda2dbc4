import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { BlobStore } from './blob-store.ts';

const IdMapFile = z.object({
  lesions: z.record(z.string(), z.string()),
  images: z.record(z.string(), z.string()),
});

/**
 * Public ids (`IL_`/`ISIC_` + 7 digits) are a keyed hash (HMAC-SHA256 with the secret id key,
 * id-key.ts) of the source identity, so they carry nothing about the source to anyone without the
 * key, and two fresh storage roots with the same drops and key issue the same ids (and so draw the
 * same benchmark). The private map from source identity to public id is persisted so every rebuild
 * keeps the ids it issued, whatever the key.
 */
export class PublicIds {
  private readonly issued: Set<string>;
  private readonly avoided = new Set<string>();

  private constructor(
    private readonly store: BlobStore,
    private readonly key: string,
    private readonly map: z.infer<typeof IdMapFile>,
    private readonly idKey: Buffer | undefined,
  ) {
    this.issued = new Set([...Object.values(map.lesions), ...Object.values(map.images)]);
  }

  /** The map at `key` (StorageLayout.idMap), or an empty one before the first build; `idKey` is needed only to issue new ids. */
  static async open(store: BlobStore, key: string, idKey?: Buffer): Promise<PublicIds> {
    const bytes = await store.get(key);
    if (bytes === undefined) return new PublicIds(store, key, { lesions: {}, images: {} }, idKey);
    try {
      return new PublicIds(store, key, IdMapFile.parse(JSON.parse(bytes.toString('utf8'))), idKey);
    } catch (err) {
      // JSON's messages quote the text around the fault, which holds local ids: name the kind of fault only.
      const reason = err instanceof z.ZodError ? err.issues[0]?.message : 'not valid JSON';
      throw new Error(`public id map '${store.where(key)}' is unreadable: ${reason}`);
    }
  }

  /** `sourceKey` is the centre plus the local patient and lesion ids. */
  lesion(sourceKey: string): string {
    return (this.map.lesions[sourceKey] ??= this.fresh('IL_', sourceKey));
  }

  /** `sourceKey` is the centre plus the sha256 of the image as sent. */
  image(sourceKey: string): string {
    return (this.map.images[sourceKey] ??= this.fresh('ISIC_', sourceKey));
  }

  /** The public id an image was issued by an earlier build, without issuing one. */
  issuedImage(sourceKey: string): string | undefined {
    return this.map.images[sourceKey];
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

  /** The keyed hash of the source key; on a collision with an issued or avoided id, the hash of the next attempt. */
  private fresh(prefix: string, sourceKey: string): string {
    if (!this.idKey) throw new Error('public ids: no id key to issue new ids with (open the map with one)');
    for (let attempt = 0; ; attempt++) {
      const mac = createHmac('sha256', this.idKey).update(`${prefix}\u0000${sourceKey}\u0000${attempt}`).digest();
      const digits = String(mac.readUInt32BE(0) % 10_000_000).padStart(7, '0');
      const id = `${prefix}${digits}`;
      if (!this.issued.has(id) && !this.avoided.has(digits)) {
        this.issued.add(id);
        return id;
      }
    }
  }
}
