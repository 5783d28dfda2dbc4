import { describe, expect, it } from 'vitest';
import { ageApprox } from '../../schemas/age-approx.ts';

describe('ageApprox (ISIC convention: nearest 5 years, 85 meaning 85 or older)', () => {
  it.each([
    [62, 60],
    [63, 65],
    [60, 60],
    [2, 0],
    [3, 5],
    [0, 0],
    [84, 85],
    [85, 85],
    [87, 85],
    [103, 85],
    [62.4, 60],
    [62.6, 65],
  ])('%d years -> %d', (age, expected) => {
    expect(ageApprox(age)).toBe(expected);
  });

  it('returns null when the age is unknown', () => {
    expect(ageApprox(undefined)).toBeNull();
  });

  it('never returns anything but a multiple of 5 in [0, 85], within 2.5 years of the exact age below 85', () => {
    for (let tenths = 0; tenths <= 1300; tenths++) {
      const age = tenths / 10;
      const approx = ageApprox(age)!;
      expect(Number.isInteger(approx)).toBe(true);
      expect(approx % 5).toBe(0);
      expect(approx).toBeGreaterThanOrEqual(0);
      expect(approx).toBeLessThanOrEqual(85);
      if (age <= 85) expect(Math.abs(approx - age)).toBeLessThanOrEqual(2.5);
      else expect(approx).toBe(85);
    }
  });
});
