/** A metadata file refused whole, with the reason code of its exclusion (duplicate columns, bytes not in its encoding). */
export class MetadataRefusal extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}
