import { describe, expect, it } from 'vitest';
import { parseMetadata } from '../../activities/parse/parse-metadata.ts';
import type { Dialect } from '../../schemas/dialect.ts';
import { PrivateRecord, type SourceObject } from '../../schemas/records.ts';
import { repoCentre } from '../helpers/config.ts';

const vienna = repoCentre('vienna').dialect;
const barcelona = repoCentre('barcelona').dialect;

const VIENNA_HEADER =
  'PatNr;LaesionNr;Bilddatei;Bildtyp;Diagnose;Name;Geburtsdatum;Untersuchungsdatum;Geschlecht;Lokalisation;Hauttyp;Sicherung;Tumordicke;Bearbeitung';

function metadataObject(centre: string, key: string): SourceObject {
  return { centre, key, size: 1, sha256: 'a'.repeat(64), etag: '1-0', kind: 'metadata' };
}

function parseVienna(lines: string[], images: string[], dialect: Dialect = vienna, bytes?: Uint8Array) {
  const text = [VIENNA_HEADER, ...lines].join('\r\n') + '\r\n';
  return parseMetadata(bytes ?? Buffer.from(text, 'latin1'), metadataObject('vienna', dialect.metadataFile!), dialect, new Set(images));
}

const rowExclusions = (result: ReturnType<typeof parseMetadata>) => result.exclusions.filter((e) => e.entity === 'record');

describe('parseMetadata with the vienna dialect of temporal.yml (latin1, ";", dd.MM.yyyy)', () => {
  it('harmonises local wording, dates and ages into release vocabulary', () => {
    const result = parseVienna(
      [
        'P-001;L-17;bilder\\p001_klin.jpg;klinisch;Basaliom;Müller, Jörg;15.03.1960;14.03.2023;m;Fuß;2;Histologie;;keine',
        'P-001;L-17;bilder\\p001_derm.jpg;dermatoskopisch;BASALIOM ;Müller, Jörg;15.03.1960;15.03.2023;m;Fuß;2;Histologie;;bearbeitet',
        'P-002;L-18;bilder/p002.jpg;Dermatoskopisch;Nävus;Weiß, Anna;01.01.1990;02.01.2020;w;obere Extremität;;klinisch;;',
      ],
      ['bilder/p001_klin.jpg', 'bilder/p001_derm.jpg', 'bilder/p002.jpg'],
    );

    expect(result.exclusions).toEqual([]);
    expect(result.records).toHaveLength(3);
    for (const record of result.records) expect(() => PrivateRecord.parse(record)).not.toThrow();
    const [clinical, dermoscopic, nevus] = result.records;

    expect(clinical).toMatchObject({
      centre: 'vienna',
      metadataKey: 'export/befunde.csv',
      row: 1,
      imageKey: 'bilder/p001_klin.jpg', // Windows separators normalised to match the drop's keys
      patientId: 'P-001',
      lesionId: 'L-17',
      patientName: 'Müller, Jörg', // latin1 decoded, not mojibake
      diagnosis: 'Basal cell carcinoma',
      imageType: 'clinical: close-up',
      sex: 'male',
      site: 'foot',
      skinTone: 2,
      confirmType: 'histopathology',
      manipulation: 'instrument only',
      birthDate: '1960-03-15',
      examDate: '2023-03-14',
      age: 62, // the day before the 63rd birthday
    });
    expect(dermoscopic).toMatchObject({ row: 2, imageType: 'dermoscopic', diagnosis: 'Basal cell carcinoma', age: 63, manipulation: 'altered' });
    expect(nevus).toMatchObject({
      row: 3,
      diagnosis: 'Nevus',
      imageType: 'dermoscopic',
      sex: 'female',
      site: 'upper_extremity',
      confirmType: 'single contributor clinical assessment',
      age: 30,
    });
    expect(nevus!.skinTone).toBeUndefined();
    expect(nevus!.invasionThickness).toBeUndefined();
    expect(nevus!.manipulation).toBe('instrument only'); // the default when the column is empty
  });

  it('accepts official MILK10k terms that the centre map does not list', () => {
    const result = parseVienna(['P-1;L-1;a.jpg;klinisch;Nevus, Spitz;;;;;;;;;'], ['a.jpg']);
    expect(result.exclusions).toEqual([]);
    expect(result.records[0]!.diagnosis).toBe('Nevus, Spitz');
  });

  it('turns a ragged row into a malformed-row exclusion naming the file and the row', () => {
    const result = parseVienna(
      ['P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', 'P-1;L-1;b.jpg;dermatoskopisch;Basaliom;m', 'P-2;L-2;c.jpg;klinisch;Basaliom;;;;w;;;;;'],
      ['a.jpg', 'b.jpg', 'c.jpg'],
    );
    expect(result.records.map((r) => r.row)).toEqual([1, 3]);
    expect(result.exclusions).toHaveLength(1);
    const [exclusion] = result.exclusions;
    expect(exclusion).toMatchObject({ centre: 'vienna', stage: 'parse', entity: 'record', reason: 'malformed-row', row: 2, key: 'export/befunde.csv' });
    expect(exclusion!.detail).toContain('export/befunde.csv');
    expect(exclusion!.detail).toContain('row 2');
  });

  it('rejects a diagnosis that maps to no MILK10k term as unknown-diagnosis', () => {
    const result = parseVienna(['P-1;L-1;a.jpg;klinisch;Warze am Fuß;;;;m;;;;;'], ['a.jpg']);
    expect(result.records).toEqual([]);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'record', reason: 'unknown-diagnosis', row: 1 })]);
    expect(result.exclusions[0]!.detail).toContain('Diagnose');
  });

  it('rejects a row naming an image the drop does not contain as missing-image', () => {
    const result = parseVienna(['P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', 'P-1;L-1;gone.jpg;dermatoskopisch;Basaliom;;;;m;;;;;'], ['a.jpg']);
    expect(result.records.map((r) => r.imageKey)).toEqual(['a.jpg']);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'record', reason: 'missing-image', row: 2 })]);
  });

  it('keeps the first row for an image and excludes later ones of the same lesion as duplicate-row', () => {
    const result = parseVienna(
      ['P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', 'P-1;L-1;b.jpg;dermatoskopisch;Basaliom;;;;m;;;;;', 'P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;'],
      ['a.jpg', 'b.jpg'],
    );
    expect(result.records.map((r) => [r.row, r.imageKey, r.patientId])).toEqual([
      [1, 'a.jpg', 'P-1'],
      [2, 'b.jpg', 'P-1'],
    ]);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'record', reason: 'duplicate-row', row: 3, detail: expect.stringContaining('export/befunde.csv row 1 already describes') })]);
  });

  it('excludes every claim as ambiguous-image when rows of different patients or lesions claim one image, whichever comes first', () => {
    for (const order of [
      ['P-9;L-9;a.jpg;klinisch;Nävus;;;;w;;;;;', 'P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;'],
      ['P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', 'P-1;L-2;a.jpg;klinisch;Basaliom;;;;m;;;;;'],
    ]) {
      const result = parseVienna([...order, 'P-1;L-1;b.jpg;dermatoskopisch;Basaliom;;;;m;;;;;'], ['a.jpg', 'b.jpg']);
      expect(result.records.map((r) => r.imageKey)).toEqual(['b.jpg']);
      expect(result.exclusions.map((e) => [e.reason, e.row])).toEqual([
        ['ambiguous-image', 1],
        ['ambiguous-image', 2],
      ]);
      expect(result.exclusions[0]!.detail).toMatch(/2 rows of 2 different patients or lesions claim the same image \(export\/befunde.csv row 1, export\/befunde.csv row 2\)/);
    }
  });

  it('refuses a file whose header repeats a column, instead of letting the last one win', () => {
    const text = `${VIENNA_HEADER};Diagnose\nP-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;;Nävus\n`;
    const result = parseVienna([], ['a.jpg'], vienna, Buffer.from(text, 'latin1'));
    expect(result.records).toEqual([]);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'object', reason: 'duplicate-columns', detail: expect.stringContaining('"Diagnose" more than once') })]);
  });

  it('reads ages as decimal numbers only (0x41 is not 65), and refuses dates after today and births after exams as invalid-date', () => {
    const withAge: Dialect = { ...vienna, columns: { ...vienna.columns, age: 'Alter' } };
    const row = (id: number, dates: string, age: string) => `P-${id};L-${id};${'abcde'[id - 1]}.jpg;klinisch;Basaliom;;${dates};m;;;;;;${age}`;
    const future = `01.01.${new Date().getFullYear() + 2}`;
    const text = [`${VIENNA_HEADER};Alter`, row(1, ';', '0x41'), row(2, ';', '6.5e1'), row(3, `01.01.1960;${future}`, ''), row(4, '01.01.2010;01.01.2005', ''), row(5, ';', '64,5')].join('\r\n');
    const result = parseVienna([], ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'], withAge, Buffer.from(`${text}\r\n`, 'latin1'));
    expect(result.exclusions.map((e) => [e.row, e.reason])).toEqual([
      [1, 'invalid-age'],
      [2, 'invalid-age'],
      [3, 'invalid-date'],
      [4, 'invalid-date'],
    ]);
    expect(result.exclusions[2]!.detail).toContain('after the build date');
    expect(result.exclusions[3]!.detail).toContain('(birthDate) is after column Untersuchungsdatum (examDate)');
    expect(result.records.map((r) => [r.row, r.age])).toEqual([[5, 64.5]]);
  });

  it('rejects impossible dates and values instead of guessing', () => {
    const result = parseVienna(
      ['P-1;L-1;a.jpg;klinisch;Basaliom;;31.02.1960;01.01.2020;m;;;;;', 'P-2;L-2;b.jpg;klinisch;Basaliom;;;;x;;;;;', 'P-3;L-3;c.jpg;;Basaliom;;;;m;;;;;'],
      ['a.jpg', 'b.jpg', 'c.jpg'],
    );
    expect(result.records).toEqual([]);
    expect(result.exclusions.map((e) => [e.row, e.reason])).toEqual([
      [1, 'invalid-date'],
      [2, 'unknown-value'],
      [3, 'missing-field'],
    ]);
  });

  it('accepts every invasion thickness interval of the official MILK10k files, and names the vocabulary to extend for others', () => {
    const result = parseVienna(
      ['P-1;L-1;a.jpg;klinisch;Melanom invasiv;;;;m;;;;>2.0-3.0;', 'P-2;L-2;b.jpg;klinisch;Melanom invasiv;;;;m;;;;>3.0-4.0;', 'P-3;L-3;c.jpg;klinisch;Melanom invasiv;;;;m;;;;>9.0-12.0;'],
      ['a.jpg', 'b.jpg', 'c.jpg'],
    );
    expect(result.records.map((r) => r.invasionThickness)).toEqual(['>2.0-3.0', '>3.0-4.0']);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'record', reason: 'unknown-value', row: 3 })]);
    const detail = result.exclusions[0]!.detail;
    expect(detail).toContain('Tumordicke');
    expect(detail).toContain('>9.0-12.0');
    expect(detail).toContain('schemas/vocabulary/milk10k-field-terms.csv');
    expect(detail).toContain('invasion_thickness_interval');
  });

  it('names the vocabulary file and the dialect map to extend for a site no vocabulary holds', () => {
    const result = parseVienna(['P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;Ohrläppchen;;;;'], ['a.jpg']);
    expect(result.exclusions).toEqual([expect.objectContaining({ reason: 'unknown-value', row: 1 })]);
    expect(result.exclusions[0]!.detail).toContain('Lokalisation');
    expect(result.exclusions[0]!.detail).toContain('milk10k-field-terms.csv');
    expect(result.exclusions[0]!.detail).toContain('dialect.values.site');
  });

  it('accounts for every data row: records + row exclusions = data rows', () => {
    const lines = [
      'P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', // ok
      'P-1;L-1;b.jpg;dermatoskopisch;Basaliom;;;;m;;;;;', // ok
      'P-2;L-2;c.jpg;klinisch;Basaliom', // ragged
      'P-3;L-3;d.jpg;klinisch;Unbekannt;;;;m;;;;;', // unknown diagnosis
      'P-4;L-4;nowhere.jpg;klinisch;Basaliom;;;;m;;;;;', // missing image
      'P-1;L-1;a.jpg;klinisch;Basaliom;;;;m;;;;;', // duplicate
      'P-5;L-5;e.jpg;klinisch;Nävus;;99.99.9999;;w;;;;;', // invalid date
      'P-6;L-6;f.jpg;dermatoskopisch;Nävus;;;;w;;;;;', // ok
    ];
    const result = parseVienna(lines, ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg']);
    expect(result.records.length + rowExclusions(result).length).toBe(lines.length);
    expect(result.exclusions.filter((e) => e.entity !== 'record')).toEqual([]);
    // every data row is accounted for exactly once
    const rows = [...result.records.map((r) => r.row), ...rowExclusions(result).map((e) => e.row)].sort((a, b) => a! - b!);
    expect(rows).toEqual(lines.map((_, i) => i + 1));
  });
});

describe('parseMetadata text encodings', () => {
  it('reads UTF-8 with a byte-order mark (barcelona dialect, utf8-bom)', () => {
    const text = [
      'nhc,lesion,fichero,tipo_imagen,diagnostico,paciente,fecha_visita,edad,sexo,localizacion,fototipo,confirmacion,breslow,manipulacion',
      '1234,7,img/7_c.jpg,clinica,Carcinoma basocelular,"Núñez, José",03/04/2021,71,H,tronco,3,histologia,,ninguna',
    ].join('\n');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const result = parseMetadata(bytes, metadataObject('barcelona', barcelona.metadataFile!), barcelona, new Set(['img/7_c.jpg']));
    expect(result.exclusions).toEqual([]);
    expect(result.records).toEqual([
      expect.objectContaining({
        patientId: '1234',
        lesionId: '7',
        patientName: 'Núñez, José',
        diagnosis: 'Basal cell carcinoma',
        imageType: 'clinical: close-up',
        sex: 'male',
        site: 'trunk',
        age: 71,
        examDate: '2021-04-03',
      }),
    ]);
  });

  it('also strips a byte-order mark from a file declared plain utf8', () => {
    const dialect: Dialect = { ...vienna, encoding: 'utf8' };
    const text = `${VIENNA_HEADER}\nP-1;L-1;a.jpg;klinisch;Basaliom;Jörg;;;m;;;;;\n`;
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const result = parseVienna([], ['a.jpg'], dialect, bytes);
    expect(result.exclusions).toEqual([]);
    expect(result.records.map((r) => [r.patientId, r.patientName])).toEqual([['P-1', 'Jörg']]);
  });

  it('excludes the whole file as invalid-encoding when declared utf8 but not valid UTF-8, naming the first bad byte', () => {
    const dialect: Dialect = { ...vienna, encoding: 'utf8' };
    const latin1 = Buffer.from(`${VIENNA_HEADER}\nP-1;L-1;a.jpg;klinisch;Nävus;Jörg;;;m;;;;;\n`, 'latin1');
    const result = parseVienna([], ['a.jpg'], dialect, latin1);
    expect(result.records).toEqual([]);
    expect(result.exclusions).toEqual([expect.objectContaining({ centre: 'vienna', stage: 'parse', entity: 'object', reason: 'invalid-encoding', key: 'export/befunde.csv' })]);
    expect(result.exclusions[0]!.detail).toContain(`first invalid byte at offset ${latin1.indexOf(0xe4)}`);
  });

  it('honours a UTF-8 byte-order mark before a file declared latin1, instead of losing the centre', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${VIENNA_HEADER}\nP-1;L-1;a.jpg;klinisch;Nävus;Jörg;;;m;;;;;\n`, 'utf8')]);
    const result = parseVienna([], ['a.jpg'], vienna, bytes);
    expect(result.exclusions).toEqual([]);
    expect(result.records.map((r) => r.patientName)).toEqual(['Jörg']);
  });

  it('excludes the whole file as missing-columns when a required column is absent', () => {
    const text = `PatNr;LaesionNr;Bildtyp;Diagnose\nP-1;L-1;klinisch;Basaliom\n`;
    const result = parseVienna([], [], vienna, Buffer.from(text, 'latin1'));
    expect(result.records).toEqual([]);
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'object', reason: 'missing-columns' })]);
    expect(result.exclusions[0]!.detail).toContain('Bilddatei');
  });
});
