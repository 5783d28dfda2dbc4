/** What a JSON metadata reader makes of one object: its cells by column name, or why it is not a usable row. */
export type JsonCells = { columns: string[]; cells: Map<string, string> } | { malformed: string };

/**
 * A JSON object's values as cell text, the way the CSV reader would give them: strings trimmed,
 * numbers written out, null as an empty cell. Values of mapped columns must be strings, numbers or
 * null; unmapped columns are only reported by name, so their values are not checked.
 */
export function jsonCells(value: unknown, mapped: ReadonlySet<string>): JsonCells {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { malformed: 'is not a JSON object' };
  const cells = new Map<string, string>();
  for (const [column, cell] of Object.entries(value)) {
    if (typeof cell === 'string') cells.set(column, cell.trim());
    else if (typeof cell === 'number' && Number.isFinite(cell)) cells.set(column, String(cell));
    else if (cell === null) cells.set(column, '');
    else if (mapped.has(column)) return { malformed: `key ${column} holds ${kindOf(cell)}; values must be strings or numbers` };
  }
  return { columns: Object.keys(value), cells };
}

/** Parses JSON text; undefined when it is not JSON (the caller reports it as a malformed row, without the parser's echo of the text). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Keys that occur twice in one object of valid JSON text (JSON.parse keeps the last silently). A
 * small scanner: strings are skipped whole, and a string directly followed by ':' is a key of the
 * innermost open object.
 */
export function repeatedKeys(text: string): string[] {
  const stack: (Set<string> | undefined)[] = [];
  const repeated = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(undefined);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const key = JSON.parse(text.slice(i, j + 1)) as string;
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      const keys = stack.at(-1);
      if (text[k] === ':' && keys) {
        if (keys.has(key)) repeated.add(key);
        keys.add(key);
      }
      i = j;
    }
  }
  return [...repeated];
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' ? 'a number out of range' : `a ${typeof value}`;
}
