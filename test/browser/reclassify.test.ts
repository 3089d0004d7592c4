/**
 * Reclassify… on the staff registration page in a real browser (docs/domain.md,
 * Reclassification): a non-local student who becomes a permanent resident loses
 * the visa item (no longer required), the student card and the audit trail
 * follow (the trail read naming the change just made), and a refusal keeps the dialog open with a message.
 */
import assert from 'node:assert/strict';
import { admit, eventually, fetchJson, statusOf } from '../gateway/support';
import { uniq } from '../kit/servers';
import { browserSuite, openAsOfficer } from './suite';

const WAIT = { timeout: 30_000 };

describe('staff Reclassify… dialog (real browser)', function () {
  this.timeout(180_000);
  const ui = browserSuite('reclassify');

  it('a non-local student made local loses the visa item; an undergraduate without a route is refused in the open dialog', async () => {
    const a = await admit(ui.stack, { cohortId: uniq('cohort-'), name: 'Kwok Hoi Yan', residency: 'NON_LOCAL', studyLevel: 'TPG', programCode: 'MSC-IT' });
    const staff = await openAsOfficer(ui, a.applicationNo, 'Kwok Hoi Yan');
    await staff.locator('#review-VISA[data-state="PENDING"]').waitFor(WAIT);

    // An undergraduate needs an admission route: refused, the dialog stays open with what was chosen.
    await staff.getByRole('button', { name: 'Reclassify…' }).click();
    const dialog = staff.getByRole('dialog');
    await dialog.getByLabel('Study level').selectOption('UG');
    await dialog.getByLabel('Reason').fill('Admitted to the BEng instead');
    await dialog.getByRole('button', { name: 'Reclassify' }).click();
    await dialog.getByTestId('reclassify-error').filter({ hasText: 'An undergraduate needs an admission route' }).waitFor(WAIT);
    assert.equal(await dialog.getByLabel('Reason').inputValue(), 'Admitted to the BEng instead');

    // Back to the taught program; the student has become a permanent resident.
    await dialog.getByLabel('Study level').selectOption('TPG');
    await dialog.getByLabel('Residency').selectOption('LOCAL');
    await dialog.getByLabel('Reason').fill('HKID card (permanent resident) seen at the counter');
    const sent = staff.waitForRequest((r) => r.url().endsWith('/reclassification'));
    const answered = staff.waitForResponse((r) => r.url().endsWith('/reclassification'));
    const trailRead = staff.waitForRequest((r) => /\/audit\?seq=\d+$/.test(r.url()));
    await dialog.getByRole('button', { name: 'Reclassify' }).click();
    assert.deepEqual((await sent).postDataJSON(), { changes: { residency: 'LOCAL' }, reason: 'HKID card (permanent resident) seen at the counter' });
    await staff.getByText('Reclassified: the checklist was recomputed.').waitFor(WAIT);
    // The page drawn after the change reads the audit trail naming the answer's change, so the trail holds it at once
    // though the read model follows by a moment (docs/architecture.md, "Reading one's own change").
    const { seq } = await (await answered).json();
    assert.equal(new URL((await trailRead).url()).searchParams.get('seq'), String(seq));
    await staff.getByTestId('audit-trail').getByText('Reclassified', { exact: true }).waitFor(WAIT);
    await staff.locator('#review-VISA[data-state="NOT_REQUIRED"]', { hasText: 'No longer required' }).waitFor(WAIT);
    assert.match(await staff.locator('#student-card').innerText(), /Residency\s+Local/);

    const s = await statusOf(ui.stack, a.applicationNo);
    assert.equal(s.student.residency, 'LOCAL');
    assert.deepEqual(s.outstandingItems, ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'PHOTO']);
    const audit = await eventually(
      () => fetchJson(`${ui.stack.url}/api/registrations/${a.applicationNo}/audit`, { bearer: ui.stack.officerKey }),
      (r) => r.body.items.some((e: any) => e.type === 'RECLASSIFIED'),
    );
    const e = audit.body.items.find((x: any) => x.type === 'RECLASSIFIED');
    assert.match(e.actor, /^staff:officer\./);
    assert.deepEqual([e.data.before, e.data.after, e.data.noLongerRequired], [{ residency: 'NON_LOCAL' }, { residency: 'LOCAL' }, ['VISA']]);
    assert.deepEqual(ui.problems, []);
  });
});
