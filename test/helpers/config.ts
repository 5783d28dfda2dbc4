import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import type { Centre } from '../../schemas/config.ts';

/** The repository's own temporal.yml, loaded and validated once per test file. */
export const REPO_CONFIG_FILE = path.resolve(import.meta.dirname, '..', '..', 'temporal.yml');

let loaded: LoadedConfig | undefined;
export function repoConfig(): LoadedConfig {
  loaded ??= loadConfig(REPO_CONFIG_FILE);
  return loaded;
}

export function repoCentre(id: string): Centre {
  const centre = repoConfig().config.centres.find((c) => c.id === id);
  if (!centre) throw new Error(`temporal.yml has no centre ${id}`);
  return centre;
}
