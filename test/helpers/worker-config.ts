import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { REPO_CONFIG_FILE } from './config.ts';

/**
 * The repository's temporal.yml written into `dir` with task queues of its own (so test files can
 * run workers in parallel) and `temporal` keys merged in (tls, apiKeyEnv, ...); no drops needed.
 */
export function workerConfig(dir: string, temporal: Record<string, unknown> = {}): LoadedConfig {
  const raw = parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8'));
  const suffix = randomUUID().slice(0, 8);
  for (const queue of Object.values(raw.temporal.taskQueues) as { name: string }[]) queue.name = `${queue.name}-${suffix}`;
  raw.temporal = { ...raw.temporal, ...temporal };
  const file = path.join(dir, 'temporal.yml');
  writeFileSync(file, toYaml(raw));
  return loadConfig(file);
}
