/**
 * A stand-in for the university's identity provider, for the embedded stack
 * and demos (mounted only when IDP_ACTIVATION_URL is unset and not in
 * production). The invitation's activation link opens this page; activating
 * makes the student's account at the simulated OpenID Connect provider
 * (src/idp, with the password chosen here) and sends the same signed webhook
 * a real identity provider would send, over HTTP to this gateway, so the real
 * path is exercised end to end.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Response } from 'express';
import { IDP_SIMULATOR_PATH, INVITE_PATH, signInvitationToken, TokenError, verifyActivationToken } from '../../links';
import type { IdpAccounts } from '../../idp/accounts';
import { simulatorPage } from '../../idp/login-page';
import type { RouterContext } from '../context';
import { SIGNATURE_HEADER, signWebhook } from '../webhooks/signature';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const page = simulatorPage;

/** The university email an activated account gets, e.g. `a2027000123@connect.ust.hk`. */
const universityEmailFor = (applicationNo: string) => `${applicationNo.toLowerCase()}@connect.ust.hk`;

export function idpSimulatorRouter({ config, logger }: RouterContext, accounts: IdpAccounts): Router {
  const router = Router();

  /** The student the activation token names; undefined once a page saying the link is not valid is sent. */
  const invitedStudent = async (token: string, res: Response): Promise<string | undefined> => {
    try {
      return await verifyActivationToken(config, token);
    } catch (e) {
      if (e instanceof TokenError && e.reason === 'expired') {
        // Gone for good: the way on is a new link, which the sign-in-link email brings while the account is not activated.
        res
          .status(410)
          .type('html')
          .send(
            page(
              'Activation link expired',
              `<p class="error">Activation links work for ${config.ACTIVATION_LINK_TTL_HOURS} hours after their email is sent, and this one is older.</p>
<p>Ask for a new link: the email that brings it has a new activation link too. Enter your application number and personal email under <em>Email me a new link</em>.</p>
<a class="button" href="/portal/#new-link-title">Email me a new link</a>`,
            ),
          );
        return undefined;
      }
      res
        .status(400)
        .type('html')
        .send(page('Activation link not valid', `<p class="error">${esc((e as Error).message)}.</p>`));
      return undefined;
    }
  };

  router.get(IDP_SIMULATOR_PATH, async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const applicationNo = await invitedStudent(token, res);
    if (!applicationNo) return;
    res.type('html').send(
      page(
        'Activate your HKUST account',
        `<p>Application number <strong>${esc(applicationNo)}</strong></p>
<form method="post" action="${IDP_SIMULATOR_PATH}">
<input type="hidden" name="token" value="${esc(token)}">
<label for="email">Your university email</label><input id="email" name="universityEmail" value="${esc(universityEmailFor(applicationNo))}" readonly>
<label for="pw">Choose a password</label><input id="pw" name="password" type="password" autocomplete="new-password" required minlength="8" aria-describedby="pw-hint">
<p class="note" id="pw-hint">At least 8 characters. You sign in to program registration with this email and password once activated.</p>
<button type="submit">Activate account</button></form>`,
      ),
    );
  });

  router.post(IDP_SIMULATOR_PATH, express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const applicationNo = await invitedStudent(token, res);
    if (!applicationNo) return;
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    // The account exists at the provider before the registration hears of it, as at a real one.
    accounts.activateStudent(universityEmailFor(applicationNo), password);
    const body = JSON.stringify({
      id: `idp-sim-${randomUUID()}`,
      type: 'account.activated',
      applicationNo,
      universityEmail: universityEmailFor(applicationNo),
      activatedAt: new Date().toISOString(),
    });
    const answer = await fetch(`http://127.0.0.1:${config.GATEWAY_PORT}/api/webhooks/identity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(config.WEBHOOK_SECRET, body) },
      body,
    }).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message }));
    if (!answer.ok) {
      const detail = await answer.text();
      logger.warn({ applicationNo, status: answer.status, detail }, 'simulated activation webhook refused');
      res
        .status(502)
        .type('html')
        .send(page('Activation failed', `<p class="error">The registration system refused the activation (${answer.status}).</p><pre>${esc(detail)}</pre>`));
      return;
    }
    // The activation token signs no one in: the way on is a sign-in link of its own (the simulator holds
    // TOKEN_SECRET; a real provider would send the student to the portal's single sign-on instead).
    const next = `${INVITE_PATH}?token=${encodeURIComponent(await signInvitationToken(config, applicationNo))}`;
    res
      .type('html')
      .send(
        page(
          'Account activated',
          `<p>Your HKUST account <strong>${esc(universityEmailFor(applicationNo))}</strong> is active.</p><a class="button" href="${esc(next)}">Continue to program registration</a>`,
        ),
      );
  });

  return router;
}
