import { S3Client } from '@aws-sdk/client-s3';
import type { PublishTarget } from '../../schemas/config.ts';

export interface S3ClientConfig {
  /** e.g. `http://127.0.0.1:8333` for a centre's own store or an emulator; undefined for AWS itself */
  endpoint?: string;
  region: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`: what most non-AWS stores want */
  forcePathStyle: boolean;
  /** undefined: the SDK's default chain (environment, profile, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** attempts per request, first included (default 5); transient errors are retried with the SDK's standard backoff */
  maxAttempts?: number;
}

/**
 * An S3 client for AWS or any S3-compatible store. Checksums are only computed/validated when an
 * operation requires them: SDK releases from 2025 on add CRC32 trailers and checksum headers by
 * default, which some S3-compatible stores reject or answer inconsistently. (Downloads are hashed
 * with sha256 by fetchObject anyway.)
 */
export function s3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.credentials === undefined ? {} : { credentials: { accessKeyId: config.credentials.accessKeyId, secretAccessKey: config.credentials.secretAccessKey } }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryMode: 'standard',
    maxAttempts: config.maxAttempts ?? 5,
    // No overall request timeout (a large GET may legitimately take long), but give up on a
    // connection that does not open, or a socket that stays silent for a minute.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
  });
}

/**
 * A client for an S3 location of temporal.yml (a centre source or the publish target): credentials
 * from the environment variables the config names, else the SDK's default chain.
 */
export function s3ClientFor(location: PublishTarget): S3Client {
  return s3Client({ endpoint: location.endpoint, region: location.region, forcePathStyle: location.forcePathStyle, credentials: credentialsOf(location) });
}

/** The environment variables a config names for credentials are not set: a configuration error, no retry fixes it. */
export class MissingCredentials extends Error {}

function credentialsOf(location: PublishTarget): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (!location.credentials) return undefined;
  const accessKeyId = process.env[location.credentials.accessKeyIdEnv];
  const secretAccessKey = process.env[location.credentials.secretAccessKeyEnv];
  if (!accessKeyId || !secretAccessKey) {
    throw new MissingCredentials(`s3://${location.bucket}/${location.prefix}: set the environment variables ${location.credentials.accessKeyIdEnv} and ${location.credentials.secretAccessKeyEnv}`);
  }
  return { accessKeyId, secretAccessKey };
}
