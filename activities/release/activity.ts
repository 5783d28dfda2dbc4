import { stringify } from 'csv-stringify/sync';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PublishBuildResult, ReleaseResult } from '../../schemas/payloads.ts';
import { ReleaseInfo } from '../../schemas/catalog.ts';
import type { Exclusion } from '../../schemas/records.ts';
import type { ActivityDeps } from '../deps.ts';
import { reportStep } from '../keep-alive.ts';
import { csvSafe } from '../storage/csv-safe.ts';
import { sha256 } from '../storage/files.ts';
import { PublicIds } from '../storage/public-ids.ts';
import { BUILD_PARTITION, tables, type LakeTable } from '../storage/tables.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { changeReasons } from './versions/change-reasons.ts';
import { deidentificationReport, deidentificationSummary } from './documents/deidentification-report.ts';
import { manifestEntries } from './manifest.ts';
import { phiValues } from '../storage/phi-values.ts';
import { publishRelease } from './publish-release.ts';
import { ReleaseCatalog } from './versions/release-catalog.ts';
import { writeCroissant, writeVersionDocuments } from './documents/release-documents.ts';
import { catalogEntry, RELEASE_INFO_FILE, versionRelease } from './versions/release-version.ts';
import {
  keptRelease, LeakFound, markBuilt, quarantineStaged, releaseInputHash, releaseText, scanStaged, stageRelease, swapRelease, withoutLesions, writeDeidentificationReport,
  writeManifest, type ReleaseContent, type ReleaseState,
} from './write-release.ts';
import { caseSources, casesLeakingOwnValues, withheldExclusions } from './case-leaks.ts';
import { publicVocabularyWords } from '../../schemas/vocabulary.ts';

/** The steps of writeRelease, in order, as `milk build` shows them. */
const RELEASE_STEPS = ['read inputs', 'stage images', 'describe the version', 'leak scan', 'index files', 'swap in', 'record the version'] as const;

function releaseStep(step: (typeof RELEASE_STEPS)[number], count?: { done: number; total: number; unit: string }): void {
  reportStep({ step, index: RELEASE_STEPS.indexOf(step) + 1, steps: RELEASE_STEPS.length, ...count });
}

export function releaseActivities(deps: ActivityDeps) {
  /** The build's public cases, split and concept scores, and the private rows the release is checked against. */
  async function readInputs() {
    const splitOf = new Map((await deps.lake.read(tables.split, BUILD_PARTITION)).map((r) => [r.lesion_id, r.split]));
    // A lesion without a split row is a split conflict (excluded by the split stage): it is not released.
    const lesions = (await deps.lake.read(tables.lesions, BUILD_PARTITION)).filter((l) => splitOf.has(l.lesion_id));
    const images = (await deps.lake.read(tables.caseImages, BUILD_PARTITION)).filter((i) => splitOf.has(i.lesion_id));
    const concepts = new Map((await deps.lake.read(tables.concepts, BUILD_PARTITION)).map((r) => [r.isic_id, r.scores]));
    // the release's own exclusions (withheld cases) are this step's output, worked out again below
    const exclusions = (await deps.lake.readPartitions(tables.exclusions, [...deps.centreIds, BUILD_PARTITION])).filter((e) => e.stage !== 'release');
    const readCentres = <T>(table: LakeTable<T>) => deps.lake.readPartitions(table, deps.centreIds);
    const records = await readCentres(tables.records);
    const processed = await readCentres(tables.images);
    const inventory = await readCentres(tables.inventory);
    const { release } = deps.config;
    const content: ReleaseContent = {
      lesions,
      benchmark: new Set([...splitOf].filter(([, split]) => split === 'benchmark').map(([id]) => id)),
      images,
      concepts,
      exclusions: exclusions.map(({ centre, stage, entity, reason }) => ({ centre, stage, entity, reason })),
      duplicates: (await deps.lake.read(tables.duplicates, BUILD_PARTITION)).flatMap((group, g) =>
        group.isicIds.map((isic_id) => ({ duplicate_group: g + 1, isic_id, kind: group.kind, max_distance: group.maxDistance, cross_lesion: group.crossLesion })),
      ),
      attribution: release.attribution,
      license: release.license,
      rights: { license: release.license, licenseUrl: release.licenseUrl, attribution: release.attribution, supplier: release.supplier },
    };
    return {
      content,
      exclusions,
      records,
      processed,
      changes: await readCentres(tables.changes),
      phi: phiValues(deps.config.centres, records, inventory, processed),
      cases: () => caseSources(content, deps.config.centres, records, inventory, processed),
    };
  }

  const readReleaseInfo = async () => ReleaseInfo.parse(JSON.parse(await releaseText(deps, RELEASE_INFO_FILE)));

  return {
    /**
     * Single writer: writes the release from the build's public cases, split and concept scores, in
     * the steps of write-release.ts; versions it against the private catalog (no change, no new
     * version) and records a new version there once the release is in place.
     */
    async writeRelease(): Promise<ReleaseResult> {
      releaseStep('read inputs');
      const inputs = await readInputs();
      const { records, processed } = inputs;
      let { content, exclusions } = inputs;
      const { release } = deps.config;
      const conceptCard = await deps.conceptModelCard();
      const conceptModel = conceptCard.version;
      const catalog = new ReleaseCatalog(deps);
      const latest = await catalog.latest();
      const inputHash = releaseInputHash(content, inputs.phi, { name: release.name });
      const deidentification = deidentificationSummary(deps.centreIds, records, processed);

      // 0. keep: an identical earlier build whose version is still the latest is the release.
      let state: Pick<ReleaseState, 'manifestSha256' | 'scan' | 'withheld'> | undefined = await keptRelease(deps, inputHash);
      if (state && (await readReleaseInfo()).version !== latest?.version) state = undefined;
      const reused = state !== undefined;
      let newVersion = false;
      if (!state) {
        const previous = latest ? await catalog.read(latest.version) : undefined;
        const lesionKeyOf = (await PublicIds.open(deps.store, deps.layout.idMap)).lesionKeys();
        const releasedBefore = await everReleased(catalog);
        // 1. stage the data; 2. describe it (version, changes, datasheet)
        const stageAndDescribe = async () => {
          const reasons = changeReasons({
            previous: new Set(previous?.snapshot.lesions.map((l) => l.lesion_id)),
            current: new Set(content.lesions.map((l) => l.lesion_id)),
            everReleased: releasedBefore,
            lesionKeyOf,
            records,
            exclusions,
            changes: inputs.changes,
          });
          const staged = await stageRelease(deps, content, (done, total) => {
            if (done % 50 === 0) releaseStep('stage images', { done, total, unit: 'images' });
          });
          releaseStep('describe the version');
          const [review] = await deps.lake.read(tables.reviewCounts, BUILD_PARTITION);
          const versioned = await versionRelease(catalog, previous, release.name, staged.content, conceptModel, reasons, review);
          await writeVersionDocuments(staged.dir, staged.content, versioned, release, deidentification, conceptCard);
          return { staged, versioned };
        };
        let { staged, versioned } = await stageAndDescribe();
        // 3. scan every byte for PHI. A case whose own files hold its own PHI is withheld and the
        // release staged again without it; any other hit quarantines the release and fails the build.
        releaseStep('leak scan');
        let scan = await scanStaged(staged, inputs.phi);
        const withheld: NonNullable<ReleaseState['withheld']> = { lesionIds: [], exclusions: [] };
        if (scan.hits.length > 0) {
          const cases = inputs.cases();
          const leaking = await casesLeakingOwnValues(staged, scan.hits, cases, publicVocabularyWords());
          if (leaking.size > 0) {
            withheld.lesionIds = [...leaking.keys()].sort();
            withheld.exclusions = withheldExclusions(leaking, cases);
            content = withoutLesions(content, new Set(withheld.lesionIds), withheld.exclusions);
            exclusions = [...exclusions, ...withheld.exclusions];
            ({ staged, versioned } = await stageAndDescribe());
            releaseStep('leak scan');
            scan = await scanStaged(staged, inputs.phi);
          }
        }
        await deps.lake.writeShard(tables.exclusions, BUILD_PARTITION, 'release', withheld.exclusions);
        if (scan.hits.length > 0) {
          await quarantineStaged(deps, staged, scan).catch((err: unknown) => {
            throw err instanceof LeakFound ? ApplicationFailure.nonRetryable(err.message, 'LeakFound') : err;
          });
        }
        await writeDeidentificationReport(staged, deidentificationReport(deidentification, scan));
        // 4. index: every file hashed once; Croissant lists them, the manifest adds Croissant's own
        releaseStep('index files');
        const entries = await manifestEntries(staged.dir);
        // the version's creation time (Croissant's datePublished): the catalog's for a recorded version, so rewriting it changes no byte
        const createdAt = versioned.decision.kind === 'unchanged' ? previous!.entry.createdAt : new Date().toISOString();
        const indexed = await writeCroissant(staged.dir, entries, versioned.info, release, conceptCard, createdAt);
        const manifest = await writeManifest(staged, [...entries, ...(await manifestEntries(staged.dir, indexed))]);
        // 5. swap it in; 6. commit the version to the catalog, then mark the release built
        releaseStep('swap in');
        await swapRelease(deps, staged);
        releaseStep('record the version');
        newVersion = versioned.decision.kind === 'new';
        if (newVersion) {
          const { workflowExecution } = Context.current().info;
          const entry = catalogEntry(versioned, sha256(manifest), { workflowId: workflowExecution?.workflowId ?? '', runId: workflowExecution?.runId ?? '', createdAt });
          await catalog.record(entry, { snapshot: versioned.snapshot, changes: versioned.changes, manifest, reasons: versioned.reasons });
          const { version, contentHash } = versioned.info;
          const detail = { version, contentHash, lesionIds: content.lesions.map((l) => l.lesion_id).sort(), imageIds: content.images.map((i) => i.isic_id).sort() };
          await recordProvenance(deps, BUILD_PARTITION, [{ activity: 'release', entity: { kind: 'release', id: version }, inputs: [], outputs: [{ role: 'manifest', sha256: entry.manifestSha256 }], detail }], { onlyChanges: true });
        }
        state = { manifestSha256: sha256(manifest), scan, withheld };
        await markBuilt(deps, { inputHash, ...state });
        await deps.store.put(deps.layout.privateReport('exclusions.csv'), exclusionsReport(exclusions));
      } else {
        // assemble cleared the lake's build exclusions: the kept release's withheld cases are recorded again
        const withheld = state.withheld ?? { lesionIds: [], exclusions: [] };
        await deps.lake.writeShard(tables.exclusions, BUILD_PARTITION, 'release', withheld.exclusions);
        content = withoutLesions(content, new Set(withheld.lesionIds), withheld.exclusions);
        exclusions = [...exclusions, ...withheld.exclusions];
      }
      const exclusionsByReason: Record<string, number> = {};
      for (const e of exclusions) exclusionsByReason[`${e.entity}:${e.reason}`] = (exclusionsByReason[`${e.entity}:${e.reason}`] ?? 0) + 1;
      const info = await readReleaseInfo();
      return {
        path: deps.store.where(deps.layout.release),
        manifestSha256: state.manifestSha256,
        version: info.version,
        previousVersion: info.previousVersion,
        newVersion,
        contentHash: info.contentHash,
        lesions: content.lesions.length,
        images: content.images.length,
        exclusionsByReason,
        reused,
        conceptModel,
        leakScan: { filesScanned: state.scan.filesScanned, phiValuesSearched: state.scan.valuesSearched, hits: state.scan.hits.length, patternWarnings: state.scan.patternWarnings.length },
      };
    },

    /**
     * Uploads the release in the store to `release.publish` when the config asks for it
     * (`release.publishAfterBuild`), as publish-release.ts does for `milk release publish`, and records it.
     */
    async publishBuiltRelease(): Promise<PublishBuildResult> {
      const { publish, publishAfterBuild } = deps.config.release;
      if (!publish || !publishAfterBuild) return { published: false };
      const local = await deps.store.localFolder(deps.layout.release);
      try {
        const result = await publishRelease({ releaseDir: local.dir, target: publish, signal: Context.current().cancellationSignal, onProgress: () => Context.current().heartbeat() });
        const manifest = await releaseText(deps, 'MANIFEST.sha256');
        await recordProvenance(deps, BUILD_PARTITION, [
          { activity: 'publish', entity: { kind: 'release', id: result.version }, inputs: [{ role: 'manifest', sha256: sha256(manifest) }], outputs: [], detail: { location: result.location, outcome: result.outcome } },
        ], { onlyChanges: true });
        return { published: true, version: result.version, location: result.location, outcome: result.outcome, uploaded: result.uploaded, skipped: result.skipped };
      } finally {
        await local.release();
      }
    },
  };
}

/** Every lesion id that any recorded version released. */
async function everReleased(catalog: ReleaseCatalog): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const { version } of await catalog.versions()) for (const lesion of (await catalog.read(version)).snapshot.lesions) ids.add(lesion.lesion_id);
  return ids;
}

/**
 * The private, human-readable list of every exclusion with its source file, row and reason. Keys and
 * details quote what centres sent, so every cell goes through csvSafe: no formula runs when a curator
 * opens the report in a spreadsheet.
 */
export function exclusionsReport(exclusions: Exclusion[]): string {
  const cells = (e: Exclusion) => ({ centre: e.centre, stage: e.stage, entity: e.entity, reason: e.reason, key: e.key ?? '', row: e.row ?? '', detail: e.detail });
  return stringify(
    exclusions.map((e) => Object.fromEntries(Object.entries(cells(e)).map(([column, value]) => [column, csvSafe(value)]))),
    { header: true, record_delimiter: '\n' },
  );
}
