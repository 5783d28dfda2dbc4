/** First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell value that a spreadsheet shows as text: a value starting like a formula gets a leading
 * single quote. For CSVs that carry text a centre supplied (file names, details quoting cells).
 */
export function csvSafe(value: string | number): string {
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}
