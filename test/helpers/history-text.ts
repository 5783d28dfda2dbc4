import type { temporal } from '@temporalio/proto';

/**
 * All text a workflow history holds, payload bytes decoded as UTF-8, so a test can search it for
 * values that must never reach Temporal.
 */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}
