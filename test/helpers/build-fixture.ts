import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { synthesise, type SynthOptions } from '../../scripts/synth/synth.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';
import { temporalAddress } from './temporal.ts';
import { REPO_CONFIG_FILE } from './config.ts';

export interface BuildFixture {
  dir: string;
  loaded: LoadedConfig;
  /** the generator's private answer key: which source image became which centre file */
  key: SynthKeyRow[];
  /** re-reads the config, after a test edited drops or config */
  reload(): LoadedConfig;
}

/**
 * Synthesises centre drops into a fresh temp folder and returns a config for them on the test
 * Temporal server, with its own dataset id and task queues so test files can build in parallel.
 * The centres and dialects come from `options.config` (default: the repository's temporal.yml).
 * Text detection is off (qc.text.enabled) unless `textDetection`: it costs about a fifth of a second
 * per image, and test/unit/burned-in-text.test.ts and the hostile corpus run it.
 */
export async function buildFixture(name: string, options: Omit<SynthOptions, 'config' | 'out'> & { config?: string; textDetection?: boolean }): Promise<BuildFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `milk-${name}-`));
  const synth = await synthesise({ ...options, config: options.config ?? REPO_CONFIG_FILE, out: dir });
  const raw = parseYaml(await readFile(synth.config, 'utf8'));
  const suffix = `${name}-${path.basename(dir)}`;
  raw.dataset = `test-${suffix}`.replace(/[^A-Za-z0-9_-]/g, '-');
  for (const queue of Object.values(raw.temporal.taskQueues) as { name: string }[]) queue.name = `${queue.name}-${suffix}`;
  raw.qc = { ...raw.qc, text: { ...raw.qc?.text, enabled: options.textDetection ?? false } };
  await writeFile(synth.config, toYaml(raw));
  process.env.TEMPORAL_ADDRESS = temporalAddress();
  const key = parse(await readFile(path.join(dir, 'synth-key.csv')), { columns: true }) as SynthKeyRow[];
  return { dir, loaded: loadConfig(synth.config), key, reload: () => loadConfig(synth.config) };
}
