import { inject } from 'vitest';
// Brings in the ProvidedContext augmentation only; erased at run time.
import type {} from '../global-setup.ts';

/** Address (host:port) of the Temporal dev server that test/global-setup.ts started for this run. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}
