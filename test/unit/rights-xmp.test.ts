import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EXIFTOOL, exiftoolTags } from '../helpers/exiftool.ts';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import {
  ALLOWED_XMP_PROPERTIES,
  disallowedXmpProperties,
  insertRightsXmp,
  rightsXmpPacket,
  rightsXmpSegment,
  type RightsMetadata,
} from '../../activities/release/rights-xmp.ts';
import { stripJpeg, verifyClean } from '../../activities/storage/jpeg/strip-jpeg.ts';
import { buildExifApp1, insertApp1 } from '../../scripts/synth/exif.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';
import { textured } from '../helpers/textured-image.ts';

const hasExiftool = !('missing' in EXIFTOOL);

const RIGHTS: RightsMetadata = {
  isicId: 'ISIC_0652620',
  license: 'CC-BY-NC',
  licenseUrl: 'https://creativecommons.org/licenses/by-nc/4.0/',
  attribution: 'MILK study team & <Medical University of Vienna> "ViDIR"',
  supplier: "ISIC Archive's MILK10k",
};

const XMP_ID = 'http://ns.adobe.com/xap/1.0/';
const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0, 16, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);

/** A photo as a centre sends it: JFIF, EXIF with GPS, an sRGB ICC profile. */
async function cameraJpeg(): Promise<Buffer> {
  const jpeg = await textured().withIccProfile('srgb').jpeg().toBuffer();
  const exif = buildExifApp1({
    make: 'Canon',
    model: 'EOS 5D',
    artist: 'Dr. Pichler',
    imageDescription: 'Garcia, Pablo',
    dateTimeOriginal: '2019:05:04 10:11:12',
    orientation: 1,
    gps: { latitude: 48.2208, longitude: 16.3477 },
  });
  return Buffer.from(insertApp1(Buffer.concat([jpeg.subarray(0, 2), JFIF_APP0, jpeg.subarray(2)]), exif));
}

/** The allowed packet with `extra` spliced in right before </rdf:Description>. */
function packetWith(extra: string, namespaces = ''): string {
  return rightsXmpPacket(RIGHTS)
    .replace('<rdf:Description rdf:about=""', `<rdf:Description rdf:about=""${namespaces}`)
    .replace('  </rdf:Description>', `${extra}\n  </rdf:Description>`);
}

describe('rightsXmpSegment', () => {
  it('is one complete APP1 XMP segment', () => {
    const segment = rightsXmpSegment(RIGHTS);
    expect([segment[0], segment[1]]).toEqual([0xff, 0xe1]);
    expect(segment.readUInt16BE(2) + 2).toBe(segment.length);
    expect(segment.toString('latin1', 4, 4 + XMP_ID.length + 1)).toBe(`${XMP_ID}\0`);
    expect(segment.subarray(4 + XMP_ID.length + 1).toString('utf8')).toBe(rightsXmpPacket(RIGHTS));
  });

  it('gives byte-identical segments for the same input, and different ones for different input', () => {
    const a = rightsXmpSegment(RIGHTS);
    const b = rightsXmpSegment({ ...RIGHTS });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(rightsXmpSegment({ ...RIGHTS, isicId: 'ISIC_0652621' }))).toBe(false);
    // Nothing time- or run-dependent in the packet.
    expect(rightsXmpPacket(RIGHTS)).not.toMatch(/\d{4}-\d{2}-\d{2}|uuid:|InstanceID|DocumentID/);
  });

  it('escapes XML special characters and carries exactly the allowed properties', () => {
    const packet = rightsXmpPacket(RIGHTS);
    expect(packet).toContain('MILK study team &amp; &lt;Medical University of Vienna&gt; &quot;ViDIR&quot;');
    expect(packet).toContain('ISIC Archive&apos;s MILK10k');
    expect(disallowedXmpProperties(packet)).toEqual([]);
    for (const name of ALLOWED_XMP_PROPERTIES) expect(packet).toContain(`<${name}>`);
  });

  it('leaves WebStatement out when there is no licence URL', () => {
    const packet = rightsXmpPacket({ ...RIGHTS, licenseUrl: undefined });
    expect(packet).not.toContain('WebStatement');
    expect(disallowedXmpProperties(packet)).toEqual([]);
  });

  it('refuses characters XML 1.0 cannot carry', () => {
    expect(() => rightsXmpSegment({ ...RIGHTS, attribution: 'bell\u0007' })).toThrow(/XML cannot carry/);
    expect(() => rightsXmpSegment({ ...RIGHTS, supplier: 'half \uD800 pair' })).toThrow(/XML cannot carry/);
    expect(disallowedXmpProperties(rightsXmpPacket({ ...RIGHTS, supplier: 'Zürich 🏥' }))).toEqual([]);
  });
});

describe('insertRightsXmp', () => {
  it('goes right after SOI, or after a JFIF APP0 there', async () => {
    const bare = await textured().jpeg().toBuffer();
    expect(readJpegSegments(insertRightsXmp(bare, RIGHTS)).slice(0, 3).map((s) => `${s.name}:${s.identifier ?? ''}`)).toEqual(['SOI:', `APP1:${XMP_ID}`, 'DQT:']);
    const jfif = Buffer.concat([bare.subarray(0, 2), JFIF_APP0, bare.subarray(2)]);
    expect(readJpegSegments(insertRightsXmp(jfif, RIGHTS)).slice(0, 3).map((s) => `${s.name}:${s.identifier ?? ''}`)).toEqual(['SOI:', 'APP0:JFIF', `APP1:${XMP_ID}`]);
  });

  it('refuses a JPEG that already has XMP', async () => {
    const once = insertRightsXmp(await textured().jpeg().toBuffer(), RIGHTS);
    expect(() => insertRightsXmp(once, RIGHTS)).toThrow(/already has XMP/);
  });

  it('gives a file sharp still decodes, to the same pixels, with the packet as its XMP', async () => {
    const stripped = stripJpeg(await cameraJpeg()).jpeg;
    const out = insertRightsXmp(stripped, RIGHTS);
    verifyClean(out, disallowedXmpProperties);
    const meta = await sharp(out, { failOn: 'warning' }).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 96, 64]);
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.xmp?.toString('utf8')).toBe(rightsXmpPacket(RIGHTS));
    const [a, b] = await Promise.all([sharp(out).raw().toBuffer(), sharp(stripped).raw().toBuffer()]);
    expect(a.equals(b)).toBe(true);
  });

  it.skipIf(!hasExiftool)('shows exiftool exactly the allowed XMP tags with their values, and no EXIF, ICC, IPTC, GPS or comment', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rights-xmp-'));
    try {
      const file = path.join(dir, 'out.jpg');
      const source = Buffer.concat([await cameraJpeg(), Buffer.from('trailing PHI')]);
      writeFileSync(file, insertRightsXmp(stripJpeg(source).jpeg, RIGHTS));
      const tags = exiftoolTags([file])[0]!;

      const xmp = Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith('XMP')));
      expect(xmp).toEqual({
        'XMP-dc:Title': RIGHTS.isicId,
        'XMP-plus:ImageSupplierImageID': RIGHTS.isicId,
        'XMP-plus:LicensorName': RIGHTS.attribution,
        'XMP-photoshop:Credit': RIGHTS.attribution,
        'XMP-photoshop:Source': RIGHTS.supplier,
        'XMP-xmpRights:UsageTerms': RIGHTS.license,
        'XMP-xmpRights:WebStatement': RIGHTS.licenseUrl,
      });
      const groups = new Set(Object.keys(tags).map((k) => k.split(':')[0]));
      expect([...groups].sort()).toEqual(
        ['Composite', 'ExifTool', 'File', 'JFIF', 'SourceFile', 'System', 'XMP-dc', 'XMP-photoshop', 'XMP-plus', 'XMP-xmpRights'].sort(),
      );
      const leaked = Object.keys(tags).filter(
        (k) => !k.startsWith('XMP-') && !k.startsWith('ExifTool:') && /^(IFD\d|ExifIFD|GPS|InteropIFD|MakerNotes|ICC|IPTC|Photoshop)|Comment|Artist|Make|Model|DateTimeOriginal/i.test(k),
      );
      expect(leaked).toEqual([]);
      expect(JSON.stringify(tags)).not.toMatch(/Pichler|Garcia|Canon|trailing PHI/);
      expect(tags['File:ExifByteOrder']).toBeUndefined();
      // exiftool's own reading: no warnings about the structure we wrote.
      expect(tags['ExifTool:Warning']).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('disallowedXmpProperties', () => {
  const EXIF_NS = ' xmlns:exif="http://ns.adobe.com/exif/1.0/"';
  const XMP_NS = ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"';

  it('names extra properties written as elements or as attributes', () => {
    expect(disallowedXmpProperties(packetWith('<exif:GPSLatitude>48,13.248N</exif:GPSLatitude>', EXIF_NS))).toEqual(['exif:GPSLatitude']);
    expect(disallowedXmpProperties(packetWith('', `${XMP_NS} xmp:CreateDate="2019-05-04T10:11:12"`))).toEqual(['xmp:CreateDate']);
    expect(disallowedXmpProperties(packetWith('<xmp:CreateDate>2019</xmp:CreateDate><exif:GPSLatitude>1</exif:GPSLatitude>', EXIF_NS + XMP_NS))).toEqual([
      'exif:GPSLatitude',
      'xmp:CreateDate',
    ]);
  });

  it('looks inside structures: extra fields of plus:Licensor, long form and shorthand', () => {
    const longForm = packetWith(
      '<plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource"><plus:LicensorName>x</plus:LicensorName><plus:LicensorEmail>dr@example.org</plus:LicensorEmail></rdf:li></rdf:Seq></plus:Licensor>',
    );
    expect(disallowedXmpProperties(longForm)).toEqual(['plus:LicensorEmail']);
    const shorthand = packetWith('<plus:Licensor><rdf:Seq><rdf:li plus:LicensorName="x" plus:LicensorTelephone1="555"/></rdf:Seq></plus:Licensor>');
    expect(disallowedXmpProperties(shorthand)).toEqual(['plus:LicensorTelephone1']);
    const nested = packetWith('<plus:Licensor><rdf:Seq><rdf:li><rdf:Description><exif:GPSLatitude>1</exif:GPSLatitude></rdf:Description></rdf:li></rdf:Seq></plus:Licensor>', EXIF_NS);
    expect(disallowedXmpProperties(nested)).toEqual(['exif:GPSLatitude']);
    const resourceProperty = packetWith('<photoshop:Credit rdf:parseType="Resource"><exif:GPSLatitude>1</exif:GPSLatitude></photoshop:Credit>', EXIF_NS);
    expect(disallowedXmpProperties(resourceProperty)).toEqual(['exif:GPSLatitude']);
  });

  it('compares namespaces, not prefixes', () => {
    const spoofed = rightsXmpPacket(RIGHTS).replace('xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"', 'xmlns:photoshop="http://example.org/other/"');
    expect(disallowedXmpProperties(spoofed)).toEqual(['photoshop:Credit (http://example.org/other/)', 'photoshop:Source (http://example.org/other/)']);
    const renamed = rightsXmpPacket(RIGHTS).replaceAll('dc:', 'dublin:').replace('xmlns:dc=', 'xmlns:dublin=');
    expect(disallowedXmpProperties(renamed)).toEqual([]);
  });

  it('reports comments, stray text, DTDs and malformed XML', () => {
    expect(disallowedXmpProperties(packetWith('<!-- patient Garcia -->'))).toEqual(['#comment']);
    expect(disallowedXmpProperties(packetWith('Garcia, Pablo'))).toEqual(['#text (inside rdf:Description)']);
    expect(disallowedXmpProperties(`<!DOCTYPE x [<!ENTITY e "Garcia">]>${rightsXmpPacket(RIGHTS)}`)).toEqual([expect.stringMatching(/^#invalid-xml: DOCTYPE/)]);
    expect(disallowedXmpProperties(rightsXmpPacket(RIGHTS).replace('</dc:title>', ''))).toEqual([expect.stringMatching(/^#invalid-xml: end tag/)]);
    expect(disallowedXmpProperties(packetWith('<foo:Bar>1</foo:Bar>'))).toEqual([expect.stringMatching(/^#invalid-xml: undeclared namespace prefix 'foo'/)]);
  });

  it.skipIf(!sampleAvailable)("rejects the ISIC Archive's own XMP fields this release does not carry", () => {
    const source = readFileSync(sampleImages(1)[0]);
    const xmp = readJpegSegments(source).find((s) => s.identifier === XMP_ID)!;
    const packet = source.subarray(xmp.offset + 4 + XMP_ID.length + 1, xmp.offset + xmp.length).toString('utf8');
    expect(disallowedXmpProperties(packet)).toEqual(['plus:ImageSupplier', 'plus:ImageSupplierName', 'plus:LicensorURL']);
  });
});

describe('verifyClean with the rights allowlist', () => {
  it('accepts the rights XMP and rejects one with GPS or dates added, naming them', async () => {
    const stripped = stripJpeg(await cameraJpeg()).jpeg;
    verifyClean(insertRightsXmp(stripped, RIGHTS), disallowedXmpProperties);

    const tampered = (packet: string) => {
      const payload = Buffer.concat([Buffer.from(`${XMP_ID}\0`, 'latin1'), Buffer.from(packet)]);
      const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
      return Buffer.concat([stripped.subarray(0, 2), header, payload, stripped.subarray(2)]);
    };
    expect(() => verifyClean(tampered(packetWith('<exif:GPSLatitude>48,13.248N</exif:GPSLatitude>', ' xmlns:exif="http://ns.adobe.com/exif/1.0/"')), disallowedXmpProperties)).toThrow(
      /APP1:http:\/\/ns.adobe.com\/xap\/1.0\/ at offset \d+ has disallowed properties exif:GPSLatitude/,
    );
    expect(() => verifyClean(tampered(packetWith('', ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2019"')), disallowedXmpProperties)).toThrow(/xmp:CreateDate/);
    // Without the callback, even the rights XMP is not allowed.
    expect(() => verifyClean(insertRightsXmp(stripped, RIGHTS))).toThrow(/APP1:http:\/\/ns.adobe.com\/xap\/1.0\//);
  });
});
