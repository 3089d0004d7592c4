/**
 * The shared vocabulary holds rules that three rooms read (the portal's browser
 * checks, the gateway's zod schemas, the workflow's validator), so their values
 * are pinned here by hand from docs/domain.md and the form's rules, and the
 * phone pattern is shown to mean the same in a plain RegExp (the gateway) and
 * with the `v` flag browsers compile an input's `pattern` with.
 */
import assert from 'node:assert/strict';
import {
  FORM_FIELD_RULES,
  OPEN_STATUSES,
  PHONE_PATTERN,
  REQUIRED_FORM_FIELDS,
  describeFileType,
  describeMediaTypes,
  isFileItem,
  isOpen,
} from '../../workflows/registration/vocabulary';
import { endOfHongKongDay, hongKongDateTime } from '../../src/hong-kong-time';

describe('registration vocabulary', () => {
  it('the phone pattern gives the same verdicts in a plain RegExp and with the v flag of input patterns', () => {
    const plain = new RegExp(PHONE_PATTERN);
    // An input's pattern is compiled as ^(?:pattern)$ with the v flag (HTML standard).
    const input = new RegExp(`^(?:${PHONE_PATTERN})$`, 'v');
    const verdicts: Array<[string, boolean]> = [
      ['+852 2358 6000', true],
      ['(852) 2358-6000', true],
      ['23586000', true],
      ['12345', false], // five characters: too short
      ['+1234567890123456789012', false], // over twenty after the plus
      ['852-2358-6000 ext 1', false],
      ['+852\n23586000', false],
    ];
    for (const [phone, ok] of verdicts) {
      assert.equal(plain.test(phone), ok, `gateway on ${JSON.stringify(phone)}`);
      assert.equal(input.test(phone), ok, `browser on ${JSON.stringify(phone)}`);
    }
  });

  it('the form requires its particulars, contact and emergency contact, and bounds the free text', () => {
    assert.deepEqual(REQUIRED_FORM_FIELDS, ['legalName', 'dateOfBirth', 'nationality', 'phone', 'correspondenceAddress']);
    assert.deepEqual(
      Object.entries(FORM_FIELD_RULES).map(([name, r]) => [name, r.required, r.maxLength ?? null]),
      [
        ['legalName', true, 200],
        ['preferredName', false, 100],
        ['chineseName', false, 50],
        ['dateOfBirth', true, null],
        ['nationality', true, 100],
        ['phone', true, null],
        ['correspondenceAddress', true, 500],
        ['emergencyContact.name', true, 200],
        ['emergencyContact.relationship', true, 100],
        ['emergencyContact.phone', true, null],
      ],
    );
    assert.equal(FORM_FIELD_RULES.correspondenceAddress.multiline, true);
  });

  it('names the file items, the open statuses and the media types once', () => {
    assert.deepEqual(
      ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT', 'SUPPLEMENTARY', 'PHOTO'].filter((k) => isFileItem(k)),
      ['ID_DOCUMENT', 'VISA', 'TUITION_RECEIPT', 'SUPPLEMENTARY', 'PHOTO'],
    );
    assert.deepEqual([...OPEN_STATUSES], ['IN_PROGRESS', 'INCOMPLETE']);
    assert.deepEqual(['IN_PROGRESS', 'INCOMPLETE', 'COMPLETED', 'WITHDRAWN'].map(isOpen), [true, true, false, false]);
    assert.equal(describeMediaTypes(['application/pdf', 'image/png', 'image/webp']), 'PDF, PNG, image/webp');
  });

  it("names a chosen file's type in words, never as a raw media type", () => {
    assert.equal(describeFileType('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'transcript.docx'), 'a Word document (.docx)');
    assert.equal(describeFileType('application/msword', 'transcript.doc'), 'a Word document (.doc)');
    assert.equal(describeFileType('image/heic', 'IMG_0001.HEIC'), 'a HEIC photo (.heic)');
    assert.equal(describeFileType('application/pdf', 'hkid.pdf'), 'a PDF file');
    assert.equal(describeFileType('application/x-iwork-keynote-sffkey', 'Slides.KEY'), 'a .key file', 'an unknown type is named by its extension');
    assert.equal(describeFileType('', 'scan'), 'a file of an unknown type');
  });

  it('Hong Kong time: a date ends at 23:59:59.999 at UTC+8, and instants read as Hong Kong readers expect', () => {
    assert.equal(new Date(endOfHongKongDay('2027-08-20')).toISOString(), '2027-08-20T15:59:59.999Z');
    assert.equal(hongKongDateTime('2026-12-31T15:59:59.999Z', { weekday: true }), 'Thu, 31 Dec 2026, 23:59 HKT');
    // 16:00 UTC is already the next day in Hong Kong.
    assert.equal(hongKongDateTime('2026-12-31T16:00:00.000Z'), '1 Jan 2027, 00:00 HKT');
  });
});
