import type { ImageLineage, LesionLineage, Lineage, ProvenanceEvent } from '../../schemas/provenance.ts';
import type { ReviewDecision } from '../../schemas/review.ts';

/** One line of the tree: a step, what it did, and the execution that recorded it (none when the step left no event). */
interface Step {
  name: string;
  text: string;
  event?: ProvenanceEvent;
}

/**
 * A lineage as a tree for the terminal: a section for the lesion and one per image, a branch per
 * step, each with the workflow, run, activity, attempt, code version, config hash and time that
 * recorded it. Private: it shows source keys, for an auditor's terminal only.
 */
export function formatLineage(lineage: Lineage): string {
  const sections = [...(lineage.lesion ? [lesionSection(lineage.lesion)] : []), ...lineage.images.map((image) => imageSection(image, lineage.lesion))];
  return sections.map(({ title, steps }) => [title, ...steps.flatMap((step, i) => branch(step, i === steps.length - 1))].join('\n')).join('\n\n');
}

function lesionSection(lesion: LesionLineage): { title: string; steps: Step[] } {
  const { detail } = lesion.assembly;
  return {
    title: `Lesion ${lesion.lesionId} (centre ${detail.centre}, private key ${detail.lesionKey})`,
    steps: [
      { name: 'assemble', text: `paired clinical ${detail.pairing.clinical} with dermoscopic ${detail.pairing.dermoscopic}`, event: lesion.assembly },
      { name: 'split', text: lesion.split ? lesion.split.detail.split : 'not recorded', event: lesion.split },
      ...releaseSteps(lesion.releases),
    ],
  };
}

function imageSection(image: ImageLineage, lesion: LesionLineage | undefined): { title: string; steps: Step[] } {
  const { source, record, deidentification: deid, qc, concepts } = image;
  const assembled = lesion?.assembly.detail.images.find((i) => i.isicId === image.isicId);
  const duplicate = assembled?.duplicate ? `duplicate group ${assembled.duplicate.group} (${assembled.duplicate.kind}, released members [${assembled.duplicate.releasedMembers.join(', ')}])` : 'no duplicate';
  const scores = (values: Record<string, number | string>) => Object.entries(values).map(([k, v]) => `${k} ${typeof v === 'number' ? round(v) : v}`).join(', ');
  return {
    title: `Image ${image.isicId ?? '(no public id)'} from centre ${image.centre}, key ${image.key}`,
    steps: [
      { name: 'retrieve', text: source ? `${source.detail.source} key ${source.detail.key}, ETag ${source.detail.etag}, ${source.detail.size} bytes, raw sha256 ${source.outputs[0]?.sha256}` : 'not recorded', event: source },
      { name: 'parse', text: record ? `${record.detail.metadataKey} (sha256 ${record.inputs[0]?.sha256}) row ${record.detail.row} -> record ${record.outputs[0]?.sha256}` : 'not recorded', event: record },
      {
        name: 'deidentify',
        text: deid && !('reason' in deid.detail)
          ? `${deid.detail.path}, orientation ${deid.detail.orientation}, removed segments [${deid.detail.removedSegments.join(', ')}], EXIF tags [${deid.detail.removedExifTags.join(', ')}] -> sha256 ${deid.outputs[0]?.sha256}`
          : 'not recorded',
        event: deid,
      },
      { name: 'qc', text: qc ? `warned [${qc.detail.warned.join(', ')}], excluded [${qc.detail.excluded.join(', ')}]; scores ${scores(qc.detail.scores)}` : 'not recorded', event: qc },
      {
        name: 'assemble',
        text: assembled ? `${assembled.imageType} of ${lesion!.lesionId}; ${duplicate}; QC warnings [${assembled.qcWarnings.join(', ')}]` : 'in no assembled lesion',
        event: assembled && lesion!.assembly,
      },
      { name: 'concepts', text: concepts ? `model ${concepts.detail.modelVersion}: ${scores(concepts.detail.scores)}` : 'not recorded', event: concepts },
      ...(image.reviews ?? []).map((d) => ({ name: 'review', text: reviewText(d, qc?.inputs[0]?.sha256) })),
      ...image.exclusions.map((e) => ({ name: 'excluded', text: 'reason' in e.detail ? `${e.detail.stage}: ${e.detail.reason} (${e.detail.detail})` : '', event: e })),
      ...releaseSteps(image.releases),
    ],
  };
}

/** A curator's decision: what about, who, when, why. */
function reviewText(d: ReviewDecision, image: string | undefined): string {
  const about = d.subject.kind === 'pair' ? `duplicate pair with ${d.subject.images.find((i) => i !== image)?.slice(0, 12)}` : d.subject.check ? `${d.subject.check} flag` : 'image';
  return `${d.decision} (${about}) by ${d.reviewer} at ${d.at}${d.note ? `: ${d.note}` : ''}`;
}

function releaseSteps(releases: readonly Extract<ProvenanceEvent, { activity: 'release' }>[]): Step[] {
  if (releases.length === 0) return [{ name: 'release', text: 'in no recorded release version' }];
  return releases.map((r) => ({ name: 'release', text: `version ${r.detail.version} (content ${r.detail.contentHash})`, event: r }));
}

function branch(step: Step, last: boolean): string[] {
  const [lead, indent] = last ? ['└─', '   '] : ['├─', '│  '];
  const lines = [`${lead} ${step.name.padEnd(10)} ${step.text}`];
  if (step.event) {
    const e = step.event;
    lines.push(`${indent}${' '.repeat(11)} ${e.time} · workflow ${e.workflowId} · run ${e.runId} · activity ${e.activityId} · attempt ${e.attempt} · code ${e.codeVersion} · config ${e.configHash}`);
  }
  return lines;
}

const round = (n: number) => Number(n.toPrecision(4));
