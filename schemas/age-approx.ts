/** ISIC convention: age rounded to the nearest 5 years, 85 meaning "85 or older". */
export function ageApprox(age: number | undefined): number | null {
  if (age === undefined) return null;
  return Math.min(85, Math.round(age / 5) * 5);
}
