export { buildRelease, progressQuery } from './build-release.ts';
export { ingestCentre, ingestProgressQuery } from './ingest-centre.ts';
