/**
 * Sample inputs that the tests, the drills and the benches all send: a student, a registration form that
 * passes every rule, an upload's metadata, and real file bytes (a PDF, a PNG) that the gateway's type
 * sniffing recognises.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { ItemKey, RegisterDocumentInput, RegistrationForm, StudentRecord } from '../../workflows/registration/api';

let counter = 0;
/** A unique suffix for workflow ids and application numbers within a run. */
export const uniq = (prefix = 't') => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

/** A local taught postgraduate (no fee item), with a fresh application number unless one is given. */
export function aStudent(overrides: Partial<StudentRecord> = {}): StudentRecord {
  const applicationNo = overrides.applicationNo ?? uniq('A');
  return {
    applicationNo,
    name: 'Chan Tai Man',
    personalEmail: `${applicationNo.toLowerCase()}@example.com`,
    programCode: 'MSC-IT',
    studyLevel: 'TPG',
    residency: 'LOCAL',
    cohortId: 'cohort-2027-fall',
    ...overrides,
  };
}

/** Metadata of an uploaded file for an item (the photo gets a size inside the default spec). */
export function upload(itemKey: ItemKey, overrides: Partial<RegisterDocumentInput> = {}): RegisterDocumentInput {
  const isPhoto = itemKey === 'PHOTO';
  return {
    actor: 'student',
    itemKey,
    sha256: crypto.randomBytes(32).toString('hex'),
    size: isPhoto ? 200_000 : 350_000,
    mediaType: isPhoto ? 'image/jpeg' : 'application/pdf',
    originalName: isPhoto ? 'photo.jpg' : `${itemKey.toLowerCase()}.pdf`,
    uploadedBy: 'student',
    ...(isPhoto ? { imageWidth: 600, imageHeight: 800 } : {}),
    ...overrides,
  };
}

export const validForm: RegistrationForm = {
  legalName: 'CHAN Tai Man',
  dateOfBirth: '2004-05-06',
  nationality: 'Hong Kong',
  phone: '+852 5555 0000',
  correspondenceAddress: 'Clear Water Bay, Kowloon',
  emergencyContact: { name: 'Chan Siu Ming', relationship: 'Mother', phone: '+852 5555 0001' },
  picsConsent: true,
};

/** A small but real PDF (file-type recognises it by its header). */
export function aPdf(text = 'Identification document'): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n` +
      `3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n% ${text} ${Math.random()}\ntrailer<</Root 1 0 R>>\n%%EOF\n`,
  );
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A real PNG of the given size; noisy pixels so its byte size is realistic (and above the spec's minimum). */
export function aPng(width: number, height: number, seed = 1): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let x = seed;
  for (let i = 0; i < raw.length; i++) {
    if (i % (width * 3 + 1) === 0) continue; // filter byte 0
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = x >>> 16;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
