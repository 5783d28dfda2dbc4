import type { Random } from './random.ts';

/**
 * What differs between centres beyond their dialect: how they number patients and lesions, name
 * files, and which cameras they use. Chosen by the centre's position in temporal.yml.
 */
export interface CentreStyle {
  patientId(random: Random, n: number): string;
  lesionId(random: Random, patientId: string, n: number): string;
  fileName(ctx: { random: Random; first: string; last: string; examDate: Date; patientId: string; lesionId: string; dermoscopic: boolean; n: number }): string;
  camera: { make: string; model: string; software: string };
  gps: { latitude: number; longitude: number };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;

export const CENTRE_STYLES: CentreStyle[] = [
  {
    patientId: (r) => `PAT-${r.digits(6)}`,
    lesionId: (_r, _p, n) => `L${n}`,
    fileName: ({ last, first, examDate, dermoscopic, n }) => `bilder/${last}_${first}_${ymd(examDate)}_${dermoscopic ? 'derm' : 'klin'}${n}.jpg`,
    camera: { make: 'Canon', model: 'Canon EOS 250D', software: 'Firmware Version 1.0.2' },
    gps: { latitude: 48.2206, longitude: 16.3468 },
  },
  {
    patientId: (r) => r.digits(7),
    lesionId: (_r, _p, n) => String(n),
    fileName: ({ random }) => `fotos/IMG_${random.digits(4)}.JPG`,
    camera: { make: 'NIKON CORPORATION', model: 'NIKON D7500', software: 'Ver.1.10' },
    gps: { latitude: 41.3894, longitude: 2.1514 },
  },
  {
    patientId: (r) => `QP${r.digits(6)}`,
    lesionId: (_r, p, n) => `${p}-L${pad(n, 2)}`,
    fileName: ({ patientId, lesionId, dermoscopic }) => `images/${patientId}/${lesionId}_${dermoscopic ? 'DERM' : 'CLIN'}.jpeg`,
    camera: { make: 'FotoFinder Systems', model: 'medicam 1000s', software: 'FotoFinder Universe 3.2' },
    gps: { latitude: -27.4975, longitude: 153.0137 },
  },
  {
    patientId: (r) => r.digits(8),
    lesionId: (_r, _p, n) => String(n),
    fileName: ({ random }) => `img/DSC${random.digits(5)}.jpg`,
    camera: { make: 'Apple', model: 'iPhone 13 Pro', software: '17.4.1' },
    gps: { latitude: 40.7644, longitude: -73.9565 },
  },
  {
    patientId: (r) => Array.from({ length: 8 }, () => '0123456789abcdef'[r.int(0, 15)]).join(''),
    lesionId: (_r, _p, n) => `les-${pad(n, 4)}`,
    fileName: ({ random }) => `${Array.from({ length: 12 }, () => '0123456789abcdef'[random.int(0, 15)]).join('')}.jpg`,
    camera: { make: 'SONY', model: 'ILCE-7M3', software: 'ILCE-7M3 v4.01' },
    gps: { latitude: 47.0812, longitude: 15.4655 },
  },
  {
    // A centre whose export is one folder per patient with a sidecar per image (the writer adds the folder).
    patientId: (r) => `P${r.digits(6)}`,
    lesionId: (_r, _p, n) => `L${n}`,
    fileName: ({ random }) => `IMG_${random.digits(4)}.jpg`,
    camera: { make: 'OLYMPUS CORPORATION', model: 'TG-6', software: 'Version 1.2' },
    gps: { latitude: 59.9489, longitude: 10.7135 },
  },
  {
    patientId: (r) => `PT${r.digits(6)}`,
    lesionId: (_r, _p, n) => `les${n}`,
    fileName: ({ patientId, dermoscopic, n }) => `fotografias/${patientId}_${dermoscopic ? 'dermatoscopia' : 'clinica'}_${n}.jpg`,
    camera: { make: 'Canon', model: 'Canon PowerShot G7 X Mark III', software: 'Firmware Version 1.4.0' },
    gps: { latitude: 38.7496, longitude: -9.1607 },
  },
];

export const FIRST_NAMES = ['Anna', 'Maria', 'Jose', 'Hannah', 'Liam', 'Olivia', 'Lukas', 'Sofia', 'Noah', 'Emma', 'Jakob', 'Lucia', 'Chloe', 'Jack', 'Mia', 'Felix', 'Grace', 'Pablo'];
export const LAST_NAMES = ['Mueller', 'Garcia', 'Smith', 'Huber', 'Martinez', 'Nguyen', 'Wagner', 'Lopez', 'Brown', 'Gruber', 'Fernandez', 'Wilson', 'Taylor', 'Pichler', 'Rossi', 'Kim'];
