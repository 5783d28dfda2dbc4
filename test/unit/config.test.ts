import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ConfigError, loadConfig } from '../../schemas/config.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const repoYaml = (): Yaml => parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8'));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

function writeConfig(raw: Yaml | string, name = 'temporal.yml'): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof raw === 'string' ? raw : stringifyYaml(raw));
  return file;
}

function configError(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`${file} loaded without error`);
}

describe('loadConfig', () => {
  it("loads the repository's temporal.yml", () => {
    const loaded = loadConfig(REPO_CONFIG_FILE);
    expect(loaded.config.centres.map((c) => c.id)).toEqual(['vienna', 'barcelona', 'brisbane', 'newyork', 'graz']);
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the key path of every invalid value', () => {
    const raw = repoYaml();
    raw.centres[0].dialect.delimiter = ';;';
    delete raw.release.attribution;
    const error = configError(writeConfig(raw));
    expect(error.message).toContain('centres.0.dialect.delimiter');
    expect(error.message).toContain('release.attribution');
    expect(error.message).toContain(path.join(dir, 'temporal.yml'));
  });

  it.each([
    ['a negative batch size', 'ingest.batchSize', (raw: Yaml) => (raw.ingest.batchSize = -1)],
    ['an unknown encoding', 'centres.1.dialect.encoding', (raw: Yaml) => (raw.centres[1].dialect.encoding = 'cp1252')],
    ['a missing required column', 'centres.2.dialect.columns.diagnosis', (raw: Yaml) => delete raw.centres[2].dialect.columns.diagnosis],
    ['an upper-case centre id', 'centres.3.id', (raw: Yaml) => (raw.centres[3].id = 'NewYork')],
    ['a task queue without a name', 'temporal.taskQueues.cpu.name', (raw: Yaml) => delete raw.temporal.taskQueues.cpu.name],
    ['a QC action that does not exist', 'qc.checks.blurry.action', (raw: Yaml) => (raw.qc.checks = { blurry: { action: 'delete' } })],
    ['a misspelt key', 'centres.0.dialect: Unrecognized key: "delimeter"', (raw: Yaml) => (raw.centres[0].dialect.delimeter = ';')],
    ['a misspelt QC check', 'qc.checks.blury: unknown check; the checks are too-small, odd-aspect-ratio', (raw: Yaml) => (raw.qc.checks = { blury: { threshold: 4 } })],
  ])('rejects %s, naming %s', (_what, key, mutate) => {
    const raw = repoYaml();
    mutate(raw);
    expect(configError(writeConfig(raw)).message).toContain(key);
  });

  it('rejects duplicate centre ids', () => {
    const raw = repoYaml();
    raw.centres[1].id = 'vienna';
    expect(configError(writeConfig(raw)).message).toMatch(/centres.*unique/);
  });

  it('reports a missing file and invalid YAML as ConfigError', () => {
    expect(configError(path.join(dir, 'nope.yml')).message).toContain('nope.yml');
    expect(configError(writeConfig('centres: [\n  - id: x\n', 'broken.yml')).message).toMatch(/not valid YAML/);
  });

  it('resolves relative paths against the config file, not the working directory', () => {
    const loaded = loadConfig(writeConfig(repoYaml(), 'deploy/site/temporal.yml'));
    const base = path.join(dir, 'deploy', 'site');
    expect(loaded.storageRoot).toBe(path.join(base, 'data'));
    expect(loaded.centreFolder(loaded.config.centres[0]!)).toBe(path.join(base, 'data', 'drops', 'vienna'));
  });

  it('fills documented defaults for omitted sections', () => {
    const raw = repoYaml();
    delete raw.qc;
    delete raw.ingest;
    delete raw.centres[0].dialect.delimiter;
    const { config } = loadConfig(writeConfig(raw));
    expect(config.qc).toEqual({ checks: {}, duplicates: { maxDistance: 8, minScore: 0.8 }, text: { enabled: true, side: 640, binaryThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, maxRegions: 8 }, review: { awaitMinutes: 1440 } });
    expect(config.ingest).toEqual({ batchSize: 50, window: 4, imagesInFlight: 4, imageThreads: 0, imageTimeoutSeconds: 120, fetchesInFlight: 16, maxObjectBytes: 100 * 1024 * 1024, imageFormats: ['jpeg', 'png', 'tiff'] });
    expect(config.centres[0]!.dialect.delimiter).toBe(',');
  });

  it('lets TEMPORAL_ADDRESS override temporal.address without changing the config hash', () => {
    const file = writeConfig(repoYaml());
    vi.stubEnv('TEMPORAL_ADDRESS', undefined);
    const plain = loadConfig(file);
    vi.stubEnv('TEMPORAL_ADDRESS', '127.0.0.1:17233');
    const overridden = loadConfig(file);
    expect(overridden.config.temporal.address).toBe('127.0.0.1:17233');
    expect(overridden.hash).toBe(plain.hash);
  });

  it('lets TEMPORAL_UI_ADDRESS point the UI link at the server actually running', () => {
    process.env.TEMPORAL_UI_ADDRESS = 'http://127.0.0.1:18233';
    try {
      expect(loadConfig(writeConfig(repoYaml())).config.temporal.uiAddress).toBe('http://127.0.0.1:18233');
    } finally {
      delete process.env.TEMPORAL_UI_ADDRESS;
    }
  });

  it('changes the config hash when anything a build depends on changes', () => {
    const base = loadConfig(writeConfig(repoYaml(), 'a.yml')).hash;
    const raw = repoYaml();
    raw.qc.checks = { blurry: { threshold: 4 } };
    expect(loadConfig(writeConfig(raw, 'b.yml')).hash).not.toBe(base);
    const raw2 = repoYaml();
    raw2.centres[0].dialect.values.diagnosis.Basaliom = 'Nevus';
    expect(loadConfig(writeConfig(raw2, 'c.yml')).hash).not.toBe(base);
  });

  it('tells two configs that read alike but sit in different folders apart (their storage roots and drops differ)', () => {
    const here = loadConfig(writeConfig(repoYaml(), 'site-a/temporal.yml'));
    const there = loadConfig(writeConfig(repoYaml(), 'site-b/temporal.yml'));
    expect(readFileSync(here.file, 'utf8')).toBe(readFileSync(there.file, 'utf8'));
    expect(here.storageRoot).not.toBe(there.storageRoot);
    expect(there.hash).not.toBe(here.hash);
    // the same file read again, from anywhere, is the same config
    expect(loadConfig(here.file).hash).toBe(here.hash);
  });
});
