/**
 * The identity-provider simulator as a real OpenID Connect provider
 * (`oidc-provider`), for `npm start` and the tests: the gateway mounts it at
 * /idp in development when no real provider is configured (config.oidc
 * .simulated), next to the activation page it already served. It knows the
 * gateway as a client, with the secret config made at this start, and the
 * cluster's Temporal UI when given the UI's secret; its signing
 * keys and cookie keys are made at start too and never written down.
 *
 * Its sign-in page is ours (src/idp/login-page.ts); consent is implied, as at
 * a university's provider for its own applications.
 */
import { generateKeyPair, exportJWK } from 'jose';
import { randomBytes } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import type { OidcSettings } from '../config';
import type { Logger } from '../logger';
import type { IdpAccounts } from './accounts';
import { loginPage } from './login-page';

/** The simulator's interaction pages, under the provider's mount. */
const interactionPath = (uid: string) => `/idp/interaction/${uid}`;

/** The interaction pages, then the provider itself: mount with `app.use(router)`. */
export async function createIdentityProvider(settings: OidcSettings, accounts: IdpAccounts, logger: Logger): Promise<Router> {
  const { default: Provider, errors } = await import('oidc-provider');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };

  const provider = new Provider(settings.issuer, {
    clients: [
      {
        client_id: settings.clientId,
        client_secret: settings.clientSecret,
        redirect_uris: [settings.redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      // The Temporal UI of `npm run cluster` (ui-server's OIDC sign-in: a confidential client without PKCE).
      ...(settings.temporalUiClient && settings.temporalUiClientId
        ? [
            {
              client_id: settings.temporalUiClientId,
              client_secret: settings.temporalUiClient.secret,
              redirect_uris: [settings.temporalUiClient.redirectUrl],
              grant_types: ['authorization_code'],
              response_types: ['code' as const],
              token_endpoint_auth_method: 'client_secret_basic' as const,
            },
          ]
        : []),
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // PKCE for the gateway (confidential as it is); the Temporal UI server does not send it.
    pkce: { required: (_ctx, client) => client.clientId === settings.clientId },
    // The groups travel in the ID token, as Entra ID and Keycloak put them there.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    // Short, as a provider's are: a sign-in page left open, its session, its grant and tokens.
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    interactions: { url: (_ctx, interaction) => interactionPath(interaction.uid) },
    async findAccount(_ctx, sub) {
      const account = accounts.bySub(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: account.email, email_verified: true, name: account.name, groups: account.groups }),
      };
    },
    // A first-party application: the grant is given without asking.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope(settings.scopes);
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = loginPage.error(String(out.error_description ?? out.error));
    },
  });
  provider.on('server_error', (_ctx, err) => logger.error({ err }, 'identity-provider simulator error'));

  const router = Router();
  // The sign-in form's POST is answered with redirects that end at the client's redirect URI, and browsers hold
  // those redirects to the page's CSP form-action: the Temporal UI's origin joins 'self' there.
  const otherClientOrigins = settings.temporalUiClient ? [new URL(settings.temporalUiClient.redirectUrl).origin] : [];
  const allowClientRedirects: RequestHandler = (_req, res, next) => {
    const csp = res.getHeader('content-security-policy');
    if (otherClientOrigins.length && typeof csp === 'string') {
      res.setHeader('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${otherClientOrigins.join(' ')}`));
    }
    next();
  };
  const interaction: RequestHandler = async (req, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(loginPage.form(interactionPath(details.uid)));
    } catch (e) {
      if (!(e instanceof errors.SessionNotFound)) throw e;
      res.status(400).type('html').send(loginPage.error('This sign-in has expired. Go back to the registration pages and start again.'));
    }
  };
  router.get('/idp/interaction/:uid', allowClientRedirects, interaction);
  router.post('/idp/interaction/:uid', allowClientRedirects, express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const details = await provider.interactionDetails(req, res).catch(() => undefined);
    if (!details) {
      res.status(400).type('html').send(loginPage.error('This sign-in has expired. Go back to the registration pages and start again.'));
      return;
    }
    const email = typeof req.body?.email === 'string' ? req.body.email : '';
    const account = accounts.authenticate(email, typeof req.body?.password === 'string' ? req.body.password : '');
    if (!account) {
      res
        .status(401)
        .type('html')
        .send(loginPage.form(interactionPath(details.uid), { email, error: 'The email or the password is not right.' }));
      return;
    }
    // The Temporal UI is for registry staff only, as a real provider restricts it to the registry's groups
    // (docs/operations.md, "Personal data"): the UI server itself lets anyone signed in Reset or Terminate.
    if (details.params.client_id === settings.temporalUiClientId && !account.groups.some((g) => g in settings.roleMap)) {
      res.status(403).type('html').send(loginPage.error('Only registry staff may sign in to the Temporal UI.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  });
  router.use('/idp', provider.callback());
  return router;
}
