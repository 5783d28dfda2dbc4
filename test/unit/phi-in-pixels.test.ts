import { describe, expect, it } from 'vitest';
import { foldText, PixelPhi } from '../../activities/assemble/phi-in-pixels.ts';

describe('PixelPhi', () => {
  const phi = new PixelPhi([
    { kind: 'name', value: 'Rossi, Sofia' },
    { kind: 'name', value: 'Rossi' },
    { kind: 'name', value: 'Kim' },
    { kind: 'date', value: '12.03.1961' },
    { kind: 'local-id', value: '4711' },
    { kind: 'filename', value: 'IMG_0001.jpg' },
  ]);

  it('matches names and dates whatever the case, accents, separators and OCR confusions', () => {
    expect(phi.match(['ROSSI, SOFIA'])).toBe('name');
    expect(phi.match(['Dr. R0ssí'])).toBe('name');
    expect(new PixelPhi([{ kind: 'name', value: 'Kim, Emma' }]).match(['EMMA KIM 1961'])).toBe('name');
    // one digit misread in a long value
    expect(new PixelPhi([{ kind: 'local-id', value: '9970681' }, { kind: 'date', value: '12.03.1961' }]).match(['PID 9970581'])).toBe('local-id');
    expect(phi.match(['12.08.1961'])).toBe('date');
    expect(phi.match(['12.08.1967'])).toBeUndefined();
    expect(phi.match(['born 12/03/1961'])).toBe('date');
    expect(foldText('Ölçek 1:10')).toBe('01cek110');
  });

  it('leaves out values too short to match safely, and kinds a camera does not burn in', () => {
    expect(phi.match(['Kim', 'ruler 4711 mm'])).toBeUndefined();
    expect(phi.match(['IMG_0001'])).toBeUndefined();
    expect(phi.match(['10 20 30', ''])).toBeUndefined();
  });
});
