import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  codecFromEnvironment,
  dataConverterFromEnvironment,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  payloadKeyId,
} from '../../worker/payload-codec.ts';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const OTHER_KEY = Buffer.alloc(32, 7);
const utf8 = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

const SECRET = 'PAT-000123 Erika Mustermann 1961-04-02';
const jsonPayload: Payload = {
  metadata: { encoding: utf8('json/plain') },
  data: utf8(JSON.stringify({ patient: SECRET, lesions: [1, 2, 3] })),
};
const binaryPayload: Payload = {
  metadata: { encoding: utf8('binary/plain'), 'x-extra': utf8('kept') },
  data: new Uint8Array(randomBytes(1024)),
};
const nullPayload: Payload = { metadata: { encoding: utf8('binary/null') } };
const emptyPayload: Payload = {};

/** Comparable form: protobuf decoding yields Buffers and {} where the input had Uint8Arrays or nothing. */
function normal(p: Payload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('hex')])),
    data: Buffer.from(p.data ?? []).toString('hex'),
  };
}

describe('AesGcmPayloadCodec', () => {
  const codec = new AesGcmPayloadCodec(KEY);

  it('round-trips JSON, binary, null and empty payloads', async () => {
    const payloads = [jsonPayload, binaryPayload, nullPayload, emptyPayload];
    const encoded = await codec.encode(payloads);
    expect(encoded).toHaveLength(payloads.length);
    const decoded = await codec.decode(encoded);
    expect(decoded.map(normal)).toEqual(payloads.map(normal));
    expect(await codec.encode([])).toEqual([]);
  });

  it('marks encrypted payloads with the encoding and a key id, never the key', async () => {
    const [encrypted] = await codec.encode([jsonPayload]);
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(str(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(encrypted!.metadata![KEY_ID_METADATA])).toMatch(/^[0-9a-f]{8}$/);
    expect(str(encrypted!.metadata![KEY_ID_METADATA])).toBe(codec.keyId);
    expect(codec.keyId).toBe(payloadKeyId(KEY));
    const stored = Buffer.concat([encrypted!.data!, ...Object.values(encrypted!.metadata!)]);
    expect(stored.includes(KEY)).toBe(false);
    expect(stored.toString('hex')).not.toContain(KEY.toString('hex'));
    // IV (12) + serialized payload + tag (16)
    expect(encrypted!.data!.length).toBe(12 + 16 + proto.temporal.api.common.v1.Payload.encode(jsonPayload).finish().length);
  });

  it('leaves no plaintext in the ciphertext', async () => {
    const [encrypted] = await codec.encode([jsonPayload]);
    const stored = Buffer.concat([encrypted!.data!, ...Object.values(encrypted!.metadata!)]);
    for (const needle of [SECRET, 'PAT-000123', 'Mustermann', 'json/plain', '"patient"']) {
      expect(stored.includes(Buffer.from(needle))).toBe(false);
    }
    // Any 8-byte window of the plaintext would do; none survives.
    const plain = Buffer.from(jsonPayload.data!);
    for (let i = 0; i + 8 <= plain.length; i += 4) expect(stored.includes(plain.subarray(i, i + 8))).toBe(false);
  });

  it('uses a fresh IV each time: two encodes of one payload differ', async () => {
    const [a] = await codec.encode([jsonPayload]);
    const [b] = await codec.encode([jsonPayload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
    expect((await codec.decode([a!, b!])).map(normal)).toEqual([normal(jsonPayload), normal(jsonPayload)]);
  });

  it('refuses a payload with any byte altered (IV, ciphertext or tag)', async () => {
    const [encrypted] = await codec.encode([jsonPayload]);
    const data = encrypted!.data!;
    for (const index of [0, 11, 12, Math.floor(data.length / 2), data.length - 17, data.length - 1]) {
      const tampered = new Uint8Array(data);
      tampered[index]! ^= 0x01;
      await expect(codec.decode([{ ...encrypted, data: tampered }])).rejects.toThrow(/authentication failed/);
    }
    await expect(codec.decode([{ ...encrypted, data: data.subarray(0, 20) }])).rejects.toThrow(/too short/);
    await expect(codec.decode([{ ...encrypted, data: data.subarray(0, data.length - 1) }])).rejects.toThrow(/authentication failed/);
  });

  it('refuses a payload made with another key, naming both key ids', async () => {
    const other = new AesGcmPayloadCodec(OTHER_KEY);
    expect(other.keyId).not.toBe(codec.keyId);
    const [encrypted] = await other.encode([jsonPayload]);
    const error = await codec.decode([encrypted!]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/key id mismatch/);
    expect(error!.message).toContain(other.keyId);
    expect(error!.message).toContain(codec.keyId);
    expect(error!.message).not.toContain(KEY.toString('hex'));
    // Even a forged key id does not get past the authentication tag.
    const forged = { ...encrypted, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: utf8(codec.keyId) } };
    await expect(codec.decode([forged])).rejects.toThrow(/authentication failed/);
    // An encrypted payload without a key id is refused too.
    const { [KEY_ID_METADATA]: _, ...noId } = encrypted!.metadata!;
    await expect(codec.decode([{ ...encrypted, metadata: noId }])).rejects.toThrow(/key id \(none\)/);
  });

  it('passes payloads it did not encrypt through untouched', async () => {
    const payloads = [jsonPayload, binaryPayload, nullPayload, emptyPayload];
    const decoded = await codec.decode(payloads);
    decoded.forEach((p, i) => expect(p).toBe(payloads[i]));
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new AesGcmPayloadCodec(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

describe('codecFromEnvironment', () => {
  const hex = KEY.toString('hex');

  it('returns undefined when MILK_PAYLOAD_KEY is unset or empty', () => {
    expect(codecFromEnvironment({})).toBeUndefined();
    expect(codecFromEnvironment({ MILK_PAYLOAD_KEY: '' })).toBeUndefined();
    expect(dataConverterFromEnvironment({}).payloadCodecs).toEqual([]);
  });

  it('accepts 64 hex characters and base64 of 32 bytes, giving the same key', async () => {
    const fromHex = codecFromEnvironment({ MILK_PAYLOAD_KEY: hex })!;
    const fromUpperHex = codecFromEnvironment({ MILK_PAYLOAD_KEY: hex.toUpperCase() })!;
    const fromBase64 = codecFromEnvironment({ MILK_PAYLOAD_KEY: KEY.toString('base64') })!;
    const fromBase64Url = codecFromEnvironment({ MILK_PAYLOAD_KEY: KEY.toString('base64url') })!;
    const withNewline = codecFromEnvironment({ MILK_PAYLOAD_KEY: `${KEY.toString('base64')}\n` })!;
    for (const c of [fromHex, fromUpperHex, fromBase64, fromBase64Url, withNewline]) {
      expect(c).toBeInstanceOf(AesGcmPayloadCodec);
      expect(c.keyId).toBe(payloadKeyId(KEY));
    }
    // Interchangeable: what one encrypts, another decrypts.
    const [encrypted] = await fromHex.encode([jsonPayload]);
    expect((await fromBase64.decode([encrypted!])).map(normal)).toEqual([normal(jsonPayload)]);
  });

  it('builds a dataConverter with the codec', () => {
    const converter = dataConverterFromEnvironment({ MILK_PAYLOAD_KEY: hex })!;
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.payloadCodecs[0]).toBeInstanceOf(AesGcmPayloadCodec);
  });

  it('rejects any other value with a clear error that does not echo it', () => {
    const bad = [
      hex.slice(0, 62), // 31 bytes of hex
      `${hex}00`, // 33 bytes of hex
      randomBytes(16).toString('base64'), // 16 bytes
      randomBytes(48).toString('base64'), // 48 bytes
      'correct horse battery staple, a passphrase!', // 43 characters but not base64
      `${hex.slice(0, 63)}g`, // not hex
    ];
    for (const value of bad) {
      let message = '';
      try {
        codecFromEnvironment({ MILK_PAYLOAD_KEY: value });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, value).toMatch(/MILK_PAYLOAD_KEY must be a 256-bit key: 64 hex characters, or base64 of 32 bytes/);
      expect(message).not.toContain(value);
      expect(message).not.toContain(value.slice(0, 12));
      expect(() => dataConverterFromEnvironment({ MILK_PAYLOAD_KEY: value })).toThrow(/MILK_PAYLOAD_KEY/);
    }
  });
});
