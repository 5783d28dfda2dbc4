export { buildRelease, progressQuery } from './build-release.ts';
export { ingestCentre } from './ingest-centre.ts';
