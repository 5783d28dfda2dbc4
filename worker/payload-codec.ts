import { fileURLToPath } from 'node:url';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A named import of `temporal` fails under ESM (the package is CommonJS); go through the default export.
import proto from '@temporalio/proto';

/** Metadata `encoding` of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key (by id, never the key itself) a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Environment variable holding the 256-bit key: 64 hex characters or base64 of 32 bytes. */
export const PAYLOAD_KEY_ENV = 'MILK_PAYLOAD_KEY';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const Proto = proto.temporal.api.common.v1.Payload;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A short, stable id for a key (first 8 hex digits of its SHA-256); safe to store and print. */
export function payloadKeyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Encrypts every payload Temporal would store (workflow and activity inputs and results, signals,
 * queries, memos, heartbeat details, failure details) with AES-256-GCM, so the server and its
 * histories only hold ciphertext.
 *
 * The whole serialized Payload (metadata and data) is encrypted; the stored payload is
 * `IV (12 bytes) || ciphertext || auth tag (16 bytes)` with metadata `encoding: binary/encrypted`
 * and `encryption-key-id: <id>`. `decode` passes payloads without that encoding through untouched,
 * so histories written before encryption was enabled still replay.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM payload key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key); // a private copy: the caller may reuse or wipe its buffer
    this.keyId = payloadKeyId(this.#key);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.#encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.#decrypt(payload));
  }

  #encrypt(payload: Payload): Payload {
    const plaintext = Proto.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.keyId) },
      data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
  }

  #decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (keyId !== this.keyId) {
      throw new Error(
        `Cannot decrypt payload: it was encrypted with key id ${keyId ?? '(none)'}, but ${PAYLOAD_KEY_ENV} has key id ${this.keyId} (key id mismatch)`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new Error(`Cannot decrypt payload (key id ${keyId}): ${data.length} bytes is too short to be an encrypted payload`);
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decipher = createDecipheriv(ALGORITHM, this.#key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`Cannot decrypt payload (key id ${keyId}): authentication failed, the payload was altered or corrupted`);
    }
    return Proto.decode(plaintext);
  }
}

/**
 * Parses a 256-bit key given as 64 hex characters or as base64 (standard or URL-safe) of 32 bytes.
 * The error never includes the value.
 */
export function parsePayloadKey(value: string, name = PAYLOAD_KEY_ENV): Buffer {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const key = Buffer.from(v, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new Error(
    `${name} must be a 256-bit key: 64 hex characters, or base64 of 32 bytes (44 characters, e.g. from \`openssl rand -base64 32\`); ` +
      `the value set (${v.length} characters, not shown) is neither`,
  );
}

/**
 * The codec for the key in MILK_PAYLOAD_KEY, or undefined when it is unset (or empty): payloads are
 * then stored as plain JSON, as before. Throws when the variable holds anything but a 256-bit key.
 */
export function codecFromEnvironment(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const value = env[PAYLOAD_KEY_ENV];
  if (value === undefined || value.trim() === '') return undefined;
  return new AesGcmPayloadCodec(parsePayloadKey(value));
}

/**
 * `dataConverter` for Worker.create and new Client(...): the same for every worker and client of a
 * deployment. Failures always pass the redacting failure converter (failure-converter.ts); payloads
 * are encrypted when MILK_PAYLOAD_KEY is set, and stored as plain JSON otherwise.
 */
export function dataConverterFromEnvironment(env: NodeJS.ProcessEnv = process.env): { payloadCodecs: PayloadCodec[]; failureConverterPath: string } {
  const codec = codecFromEnvironment(env);
  return { payloadCodecs: codec ? [codec] : [], failureConverterPath: FAILURE_CONVERTER_PATH };
}

const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
