import { describe, expect, it } from 'vitest';
import { isTemporalReachable } from '../../worker/connection.ts';
import { temporalAddress } from '../helpers/temporal.ts';

describe('test/global-setup.ts', () => {
  it('provides the address of a running Temporal dev server on loopback', async () => {
    const address = temporalAddress();
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await isTemporalReachable(address)).toBe(true);
  });
});
