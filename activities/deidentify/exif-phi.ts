import exifReader from 'exif-reader';
import { format } from 'date-fns';
import { readJpegSegments } from '../storage/jpeg/jpeg-segments.ts';
import type { ExifFindings } from '../../schemas/records.ts';

/** EXIF tags whose text can identify a patient, a clinician or a device. */
const IDENTIFYING_TEXT = ['ImageDescription', 'Artist', 'Copyright', 'UserComment', 'CameraOwnerName', 'BodySerialNumber', 'ImageUniqueID', 'XPAuthor', 'XPComment', 'XPSubject'];

/**
 * Reads a source JPEG's EXIF for two purposes: the names of the tags it carried (for the
 * de-identification report) and the identifying values in it (for the leak scan). Private only.
 */
export function exifFindings(source: Uint8Array): ExifFindings {
  const findings: ExifFindings = { tags: [], texts: [], dates: [] };
  let exif: Buffer | undefined;
  try {
    const segment = readJpegSegments(source).find((s) => s.name === 'APP1' && s.identifier === 'Exif');
    if (segment) exif = Buffer.from(source.subarray(segment.offset + 4, segment.offset + segment.length));
  } catch {
    return findings; // not a JPEG; nothing of it survives re-encoding anyway
  }
  if (!exif) return findings;
  let parsed: Record<string, unknown>;
  try {
    parsed = exifReader(exif) as unknown as Record<string, unknown>;
  } catch {
    findings.tags.push('unparseable');
    return findings;
  }
  for (const [ifd, tags] of Object.entries(parsed)) {
    if (!tags || typeof tags !== 'object') continue;
    for (const [tag, value] of Object.entries(tags as Record<string, unknown>)) {
      findings.tags.push(`${ifd}.${tag}`);
      if (IDENTIFYING_TEXT.includes(tag) && typeof value === 'string' && value.trim()) findings.texts.push(value.trim());
      if (value instanceof Date && !Number.isNaN(value.getTime())) findings.dates.push(format(value, 'yyyy-MM-dd'), exifDate(value));
    }
  }
  const gps = parsed.GPSInfo as { GPSLatitude?: number[]; GPSLongitude?: number[]; GPSLatitudeRef?: string; GPSLongitudeRef?: string } | undefined;
  if (gps?.GPSLatitude && gps.GPSLongitude) {
    findings.gps = {
      latitude: degrees(gps.GPSLatitude) * (gps.GPSLatitudeRef === 'S' ? -1 : 1),
      longitude: degrees(gps.GPSLongitude) * (gps.GPSLongitudeRef === 'W' ? -1 : 1),
    };
  }
  findings.tags.sort();
  findings.dates = [...new Set(findings.dates)].sort();
  return findings;
}

const degrees = ([d = 0, m = 0, s = 0]: number[]) => d + m / 60 + s / 3600;

/** EXIF writes local date-times; exif-reader reads them as UTC, so format in UTC to get the original text back. */
function exifDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}:${iso.slice(5, 7)}:${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}
