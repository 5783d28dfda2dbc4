export { buildRelease, progressQuery } from './build-release.ts';
export { ingestCentre, ingestProgressQuery } from './ingest-centre.ts';
export { scheduledBuild } from './scheduled-build.ts';
