/**
 * The cluster's Temporal UI (the real ui-server, as `npm run cluster` runs it)
 * in Chromium: signed out it answers nothing and sends the browser to the
 * identity provider; a staff member signs in there (the gateway's
 * oidc-provider, the same one as the staff pages), opens a student's workflow
 * and reads the student's name, which the UI got from the gateway's codec
 * endpoint with the staff member's ID token. An account without a registry
 * role is refused the sign-in. Temporal itself holds no name: its
 * history, read straight from the TLS frontend, is ciphertext.
 *
 * A cluster of one worker and one gateway (startCluster); needs the Go-built
 * temporal and ui servers (test/support/go-tools.ts) and `npm run build` (run here).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@temporalio/client';
import { startCluster, type Cluster } from '../../src/cluster/cluster';
import { freeClusterPorts } from '../../src/cluster/free-ports';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { IdpAccounts } from '../../src/idp/accounts';
import { Stack } from '../../src/launcher/stack';
import { projectRoot } from '../../src/paths';
import { connectTemporal } from '../../src/temporal/connection';
import { keepEvidence, launchChromium } from '../browser/chromium';
import { eventually, fetchJson } from '../gateway/support';
import { syntheticStudents, toCsv } from '../kit/synthetic-students';
import { requireGoTools } from '../support/go-tools';

const NAMESPACE = 'progreg-ui-test';
const WAIT = { timeout: 60_000 };

describe('cluster: the Temporal UI signs staff in at the identity provider and shows payloads decoded', function () {
  this.timeout(15 * 60_000);
  const logs: string[] = [];
  let stack: Stack;
  let cluster: Cluster;
  let prisma: PrismaClient;
  let browser: Browser;
  let varDir: string;
  let gatewayA: string;
  const student = { applicationNo: '', name: '' };

  before(async function () {
    requireGoTools(this, ['temporal', 'ui']);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-ui-'));
    stack = new Stack('cluster', (line) => logs.push(line));
    cluster = await startCluster({
      stack,
      varDir,
      namespace: NAMESPACE,
      taskQueue: 'registration',
      ports: await freeClusterPorts(1),
      workers: 1,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', TOKEN_SECRET: randomBytes(32).toString('base64url') },
      s3: { bucket: 'progreg-ui-test', accessKeyId: 'ui-test', secretAccessKey: 'ui-test-secret' },
    });
    gatewayA = cluster.gateways[0]!.url.replace('127.0.0.1', 'localhost');
    prisma = createPrisma(cluster.databaseUrl);

    // One student, imported through the gateway as staff do.
    const { key: admin } = await createStaffKey(prisma, { name: 'ui-test-admin', role: 'admin' });
    const [row] = syntheticStudents({ count: 1, prefix: 'UI', cohortId: 'ui-test', registrationDeadline: new Date(Date.now() + 60 * 86400_000).toISOString() });
    Object.assign(student, { applicationNo: row!.applicationNo.toUpperCase(), name: row!.name });
    const started = await fetchJson(`${gatewayA}/api/imports`, { method: 'POST', bearer: admin, headers: { 'content-type': 'text/csv' }, body: toCsv([row!]) });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await eventually(
      () => prisma.registration.findUnique({ where: { applicationNo: student.applicationNo } }),
      (r) => r !== null,
      120_000,
    );
    browser = await launchChromium();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(logs.slice(-100).join('\n'));
  });

  after(async () => {
    await browser?.close();
    await prisma?.$disconnect();
    await stack?.shutdown();
    if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
  });

  const staff = (email: string) => {
    const account = new IdpAccounts(varDir).seededStaff().find((a) => a.email === email);
    assert.ok(account, `seeded staff account ${email}`);
    return account;
  };

  /** Opens the UI in a fresh browser; it sends us to the provider, where we sign in; back in the UI, the workflow's page. */
  async function signInAndOpenWorkflow(email: string): Promise<Page> {
    // The codec's https front has the cluster's own CA, which this browser does not know.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(cluster.uiUrl!);
    await page.waitForURL((u) => u.href.startsWith(`${gatewayA}/idp/interaction/`), WAIT);
    const { password } = staff(email);
    await page.getByLabel('University email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(cluster.uiUrl!), WAIT);
    await page.goto(`${cluster.uiUrl}/namespaces/${NAMESPACE}/workflows/registration-${student.applicationNo}`);
    return page;
  }

  it('signed out: the API refuses, the codec refuses, and every page goes to the sign-in', async () => {
    const api = await fetch(`${cluster.uiUrl}/api/v1/namespaces/${NAMESPACE}/workflows`);
    assert.equal(api.status, 401);
    const codec = await fetch(`${gatewayA}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
    assert.equal(codec.status, 401);
    const page = await browser.newPage();
    try {
      await page.goto(`${cluster.uiUrl}/namespaces/${NAMESPACE}/workflows/registration-${student.applicationNo}`);
      await page.waitForURL((u) => u.href.startsWith(`${gatewayA}/idp/interaction/`), WAIT);
      await page.getByRole('heading', { name: 'Sign in with your HKUST account' }).waitFor(WAIT);
      assert.ok(!(await page.content()).includes(student.name));
    } catch (e) {
      throw new Error(`${(e as Error).message} (screenshot: ${await keepEvidence(page, 'temporal-ui-signed-out')})`, { cause: e });
    } finally {
      await page.context().close();
    }
  });

  it("Temporal holds the student's name sealed: its history, read from the TLS frontend without the codec, has no name", async () => {
    const client = new Client({ connection: await connectTemporal({ address: cluster.temporalAddress, tls: cluster.temporalTls }), namespace: NAMESPACE });
    try {
      const history = await client.workflow.getHandle(`registration-${student.applicationNo}`).fetchHistory();
      const raw = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
      assert.ok(raw.length > 1000, 'a history was read');
      assert.ok(!raw.includes(student.name.split(' ')[0]!), 'no surname in the history');
    } finally {
      await client.connection.close();
    }
  });

  it("signed in as an officer: the workflow's input shows the student's name, decoded by the gateway's codec", async () => {
    const page = await signInAndOpenWorkflow('officer@ust.hk');
    try {
      await page.waitForFunction((name) => document.body.innerText.includes(name), student.name, WAIT);
    } catch (e) {
      throw new Error(`${(e as Error).message} (screenshot: ${await keepEvidence(page, 'temporal-ui-officer')})`, { cause: e });
    } finally {
      await page.context().close();
    }
  });

  it('an account without a registry role is refused the sign-in to the UI: no UI session', async () => {
    const page = await (await browser.newContext()).newPage();
    try {
      await page.goto(cluster.uiUrl!);
      await page.waitForURL((u) => u.href.startsWith(`${gatewayA}/idp/interaction/`), WAIT);
      await page.getByLabel('University email').fill('lecturer@ust.hk');
      await page.getByLabel('Password').fill(staff('lecturer@ust.hk').password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Only registry staff may sign in to the Temporal UI.').waitFor(WAIT);
      assert.ok(page.url().startsWith(`${gatewayA}/idp/`), page.url());
      assert.equal((await page.context().cookies(cluster.uiUrl!)).filter((c) => /^user\d/.test(c.name)).length, 0, 'no UI session');
    } catch (e) {
      throw new Error(`${(e as Error).message} (screenshot: ${await keepEvidence(page, 'temporal-ui-lecturer')})`, { cause: e });
    } finally {
      await page.context().close();
    }
  });
});
