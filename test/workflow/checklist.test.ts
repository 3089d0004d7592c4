/** The checklist rules of docs/domain.md, as pure functions. */
import assert from 'node:assert/strict';
import { defaultCohortPolicy, type ItemKind, type ItemState, type StudentRecord } from '../../workflows/registration/api';
import {
  buildChecklist,
  contactsFor,
  isCardReady,
  missingCompulsory,
  outstandingItems,
  owedOptional,
  photoSpecViolations,
  studentCategory,
} from '../../workflows/registration/checklist';

const student = (o: Partial<StudentRecord>): StudentRecord => ({
  applicationNo: 'A1',
  name: 'N',
  personalEmail: 'n@example.com',
  programCode: 'P',
  studyLevel: 'TPG',
  residency: 'LOCAL',
  cohortId: 'c',
  ...o,
});
const policy = defaultCohortPolicy('2027-08-31T15:59:59.000Z');
const keys = (s: StudentRecord, p = policy) => buildChecklist(s, p).map((i) => `${i.key}${i.compulsory ? '*' : ''}${i.dueBy === 'PAYMENT' ? '(payment)' : ''}`);

describe('checklist rules', () => {
  describe('which items a student has', () => {
    it('everyone: activation, form, identification (compulsory) and the photo (not)', () => {
      assert.deepEqual(keys(student({ studyLevel: 'TPG', residency: 'LOCAL' })), ['ACTIVATION*', 'FORM*', 'ID_DOCUMENT*', 'PHOTO']);
    });
    it('non-local students also owe the visa / entry permit, compulsory', () => {
      assert.deepEqual(keys(student({ studyLevel: 'RPG', residency: 'NON_LOCAL' })), ['ACTIVATION*', 'FORM*', 'ID_DOCUMENT*', 'VISA*', 'PHOTO']);
    });
    it('only local non-JUPAS undergraduates owe the tuition receipt, by the payment deadline when the cohort has one', () => {
      const ugNonJupasLocal = student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' });
      assert.deepEqual(keys(ugNonJupasLocal), ['ACTIVATION*', 'FORM*', 'ID_DOCUMENT*', 'TUITION_RECEIPT*', 'PHOTO']);
      const withPayment = defaultCohortPolicy(policy.registrationDeadline, { paymentDeadline: '2027-09-15T15:59:59.000Z' });
      assert.deepEqual(keys(ugNonJupasLocal, withPayment), ['ACTIVATION*', 'FORM*', 'ID_DOCUMENT*', 'TUITION_RECEIPT*(payment)', 'PHOTO']);
      assert.ok(!keys(student({ studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL' })).some((k) => k.startsWith('TUITION')));
      assert.deepEqual(keys(student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'NON_LOCAL' })), [
        'ACTIVATION*',
        'FORM*',
        'ID_DOCUMENT*',
        'VISA*',
        'PHOTO',
      ]);
      assert.ok(!keys(student({ studyLevel: 'TPG', residency: 'LOCAL' }), withPayment).some((k) => k.startsWith('TUITION')));
    });
    it('supplementary items come from the cohort policy, not compulsory unless it says so, optionally for some students only', () => {
      const p = defaultCohortPolicy(policy.registrationDeadline, {
        supplementaryItems: [
          { code: 'FINAL_TRANSCRIPT', label: 'Final transcript' },
          { code: 'GRADUATION_CERT', label: 'Graduation certificate', appliesTo: { studyLevels: ['TPG', 'RPG'] } },
          { code: 'MEDICAL', label: 'Medical form', compulsory: true, appliesTo: { residencies: ['NON_LOCAL'] } },
        ],
      });
      assert.deepEqual(keys(student({ studyLevel: 'TPG', residency: 'LOCAL' }), p), [
        'ACTIVATION*',
        'FORM*',
        'ID_DOCUMENT*',
        'SUPPLEMENTARY:FINAL_TRANSCRIPT',
        'SUPPLEMENTARY:GRADUATION_CERT',
        'PHOTO',
      ]);
      assert.deepEqual(keys(student({ studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'NON_LOCAL' }), p), [
        'ACTIVATION*',
        'FORM*',
        'ID_DOCUMENT*',
        'VISA*',
        'SUPPLEMENTARY:FINAL_TRANSCRIPT',
        'SUPPLEMENTARY:MEDICAL*',
        'PHOTO',
      ]);
    });
  });

  it('student category for filtering: level, route for undergraduates, residency', () => {
    assert.equal(studentCategory(student({ studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' })), 'UG-NON_JUPAS-LOCAL');
    assert.equal(studentCategory(student({ studyLevel: 'TPG', residency: 'NON_LOCAL' })), 'TPG-NON_LOCAL');
  });

  it('visa contact: studentvisa@ust.hk for undergraduates, pgadmit@ust.hk for postgraduates', () => {
    assert.equal(contactsFor(student({ studyLevel: 'UG' })).visa, 'studentvisa@ust.hk');
    assert.equal(contactsFor(student({ studyLevel: 'TPG' })).visa, 'pgadmit@ust.hk');
    assert.equal(contactsFor(student({ studyLevel: 'RPG' })).visa, 'pgadmit@ust.hk');
    assert.deepEqual([contactsFor(student({})).registration, contactsFor(student({})).activation], ['progreg@ust.hk', 'cchelp@ust.hk']);
  });

  describe('item states', () => {
    const items = (states: Record<string, ItemState>, s = student({ residency: 'NON_LOCAL' })) =>
      buildChecklist(s, policy).map((d) => ({ ...d, state: states[d.key] ?? 'PENDING' }));

    it('missing = compulsory, due by that deadline, pending or rejected', () => {
      const list = items({ ACTIVATION: 'VERIFIED', FORM: 'VERIFIED', ID_DOCUMENT: 'REJECTED', VISA: 'SUBMITTED' });
      assert.deepEqual(
        missingCompulsory(list, 'REGISTRATION').map((i) => i.key),
        ['ID_DOCUMENT'],
      );
      assert.deepEqual(missingCompulsory(list, 'PAYMENT'), []);
    });
    it('outstanding = not yet verified or waived; owed optional = non-compulsory and not handed in', () => {
      const list = items({ ACTIVATION: 'VERIFIED', FORM: 'VERIFIED', ID_DOCUMENT: 'WAIVED', VISA: 'SUBMITTED', PHOTO: 'REJECTED' });
      assert.deepEqual(outstandingItems(list), ['VISA', 'PHOTO']);
      assert.deepEqual(
        owedOptional(list).map((i) => i.key),
        ['PHOTO'],
      );
    });
    it('the card is ready once every document, visa included, is in and the photo is accepted', () => {
      const ready = (states: Record<string, ItemState>) => isCardReady(items(states) as (ReturnType<typeof items>[number] & { kind: ItemKind })[]);
      assert.equal(ready({ ID_DOCUMENT: 'SUBMITTED', VISA: 'VERIFIED', PHOTO: 'VERIFIED' }), true);
      assert.equal(ready({ ID_DOCUMENT: 'VERIFIED', VISA: 'PENDING', PHOTO: 'VERIFIED' }), false, 'visa missing');
      assert.equal(ready({ ID_DOCUMENT: 'VERIFIED', VISA: 'REJECTED', PHOTO: 'VERIFIED' }), false, 'visa rejected');
      assert.equal(ready({ ID_DOCUMENT: 'VERIFIED', VISA: 'VERIFIED', PHOTO: 'SUBMITTED' }), false, 'photo not yet accepted');
      assert.equal(ready({ ID_DOCUMENT: 'VERIFIED', VISA: 'VERIFIED', PHOTO: 'WAIVED' }), false, 'no photo to print');
    });
  });

  describe('photo specification', () => {
    const spec = policy.photo;
    const good = { mediaType: 'image/jpeg', size: 200_000, imageWidth: 600, imageHeight: 800 };
    it('accepts a portrait JPEG or PNG inside the size and pixel ranges', () => {
      assert.deepEqual(photoSpecViolations(spec, good), []);
      assert.deepEqual(photoSpecViolations(spec, { ...good, mediaType: 'image/png' }), []);
    });
    it('names every problem', () => {
      assert.equal(photoSpecViolations(spec, { ...good, mediaType: 'image/gif' }).length, 1);
      assert.match(photoSpecViolations(spec, { ...good, imageWidth: 800, imageHeight: 600 }).join(), /portrait/);
      assert.match(photoSpecViolations(spec, { ...good, size: 100 }).join(), /size 100 bytes/);
      assert.match(photoSpecViolations(spec, { ...good, imageWidth: 100, imageHeight: 150 }).join(), /width 100px.*height 150px/);
      assert.match(photoSpecViolations(spec, { mediaType: 'image/jpeg', size: 200_000 }).join(), /pixel size is unknown/);
    });
  });
});
