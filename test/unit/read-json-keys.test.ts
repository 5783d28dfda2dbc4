import { describe, expect, it } from 'vitest';
import { readRows } from '../../activities/parse/read-rows.ts';
import { repeatedKeys } from '../../activities/parse/read-json.ts';
import { Dialect } from '../../schemas/dialect.ts';

const jsonl = Dialect.parse({
  layout: 'jsonl',
  metadataFile: 'meta.jsonl',
  columns: { patientId: 'patient', lesionId: 'lesion', imageFile: 'file', imageType: 'type', diagnosis: 'dx' },
  dateFormat: 'yyyy-MM-dd',
});

describe('repeated JSON keys', () => {
  it('are found per object, not across objects, arrays or string contents', () => {
    expect(repeatedKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}],"d":"\\"a\\":"}')).toEqual([]);
    expect(repeatedKeys('{"dx":"Nevus","x":1,"dx":"Melanoma"}')).toEqual(['dx']);
    expect(repeatedKeys('{"o":{"k":1, "k" :2}}')).toEqual(['k']);
    expect(repeatedKeys('{"\\u0064x":"Nevus","dx":"Melanoma"}')).toEqual(['dx']); // escapes decoded
  });

  it('make their object a malformed row instead of letting the last value win', () => {
    const text = '{"patient":"P1","lesion":"L1","file":"a.jpg","type":"dermoscopic","dx":"Nevus"}\n{"patient":"P2","lesion":"L2","file":"b.jpg","type":"dermoscopic","dx":"Nevus","dx":"Melanoma"}\n';
    const { rows } = readRows(text, jsonl);
    expect(rows[0]).toHaveProperty('cells');
    expect(rows[1]).toEqual({ row: 2, malformed: expect.stringContaining('repeats key(s) "dx"') });
  });
});
