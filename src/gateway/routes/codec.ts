/**
 * The codec endpoint of the Temporal UI and CLI (Temporal's remote codec
 * protocol): POST /codec/decode and /codec/encode take `{ payloads: [...] }`
 * with base64 metadata and data, and answer the same shape, opened or sealed
 * with the gateway's payload keys (src/temporal/payload-codec.ts). Staff only:
 * the ID token of a Temporal UI signed in at our identity provider
 * (auth/temporal-ui-token.ts; the UI passes it when its codec setting passes
 * the access token), a staff session cookie (the UI sends it when its codec
 * setting includes credentials) or a staff API key
 * (`temporal … --codec-auth "Bearer <key>"`).
 * Browsers may call it from the Temporal UI's origin (TEMPORAL_UI_URL) only;
 * its CORS answers name that origin and no other. docs/operations.md,
 * "Personal data", has the set-up.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../../temporal/payload-codec';
import type { Authenticate } from '../auth/authenticate';
import { TEMPORAL_UI_ID_TOKEN_HEADER, temporalUiTokenVerifier } from '../auth/temporal-ui-token';
import type { RouterContext } from '../context';
import { AppError, ErrorCode } from '../errors';
import { route } from '../route';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const WirePayload = z.strictObject({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }).meta({ id: 'CodecPayload' });
const WirePayloads = z.strictObject({ payloads: z.array(WirePayload).max(10_000) }).meta({ id: 'CodecPayloads' });
type WirePayload = z.infer<typeof WirePayload>;

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toWire = (p: Payload): WirePayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const CORS_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

export function codecRouter(ctx: RouterContext): Router {
  const router = Router();
  const codec = new EncryptionCodec(ctx.config.payloadKeys);
  const uiOrigin = new URL(ctx.config.temporalUiUrl).origin;
  const ownOrigin = new URL(ctx.config.publicBaseUrl).origin;
  const paths = ['/codec/decode', '/codec/encode'];
  const oidc = ctx.config.oidc;
  const uiToken = oidc?.temporalUiClientId ? temporalUiTokenVerifier({ ...oidc, temporalUiClientId: oidc.temporalUiClientId }) : undefined;
  // The UI's ID token, when it sends one, decides (its Bearer is then the provider's access token, not ours).
  const authenticate: Authenticate = async (req) => {
    const idToken = req.get(TEMPORAL_UI_ID_TOKEN_HEADER);
    if (idToken === undefined || !uiToken) return ctx.kit.authenticate(req);
    return uiToken(idToken.replace(/^Bearer\s+/i, '').trim());
  };
  const kit = { ...ctx.kit, authenticate };

  const allowUi: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    // No Origin: not a browser's cross-origin call (the CLI, curl); our own origin: the staff pages.
    if (origin === undefined || origin === ownOrigin) return next();
    if (origin !== uiOrigin) return next(new AppError(ErrorCode.FORBIDDEN, `The codec answers the Temporal UI at ${uiOrigin} only.`));
    res.set({ 'Access-Control-Allow-Origin': uiOrigin, 'Access-Control-Allow-Credentials': 'true' });
    next();
  };

  // The browser's preflight for the UI's JSON POST with X-Namespace (and Authorization, when it passes a token).
  router.options(paths, allowUi, (_req, res) => {
    res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': CORS_HEADERS, 'Access-Control-Max-Age': '600' });
    res.status(204).end();
  });

  const namespaceGuard: RequestHandler = (req, _res, next) => {
    const namespace = req.get('x-namespace');
    if (namespace !== undefined && namespace !== ctx.config.TEMPORAL_NAMESPACE) {
      return next(new AppError(ErrorCode.FORBIDDEN, `This codec serves the namespace ${ctx.config.TEMPORAL_NAMESPACE} only.`));
    }
    next();
  };

  for (const [op, summary] of [
    ['decode', 'Open sealed payloads (the Temporal UI and CLI codec)'],
    ['encode', 'Seal payloads (the Temporal UI and CLI codec)'],
  ] as const) {
    route(
      kit,
      router,
      {
        method: 'post',
        path: `/codec/${op}`,
        tags: ['operations'],
        summary,
        description:
          "Temporal's remote codec protocol. Staff only (the signed-in Temporal UI's ID token in Authorization-Extras, a session cookie or an API key); browsers only from the Temporal UI's origin. " +
          (op === 'decode' ? 'A payload this gateway holds no key for, or that is not sealed, comes back as it was.' : 'Seals with the active payload key.'),
        access: 'staff',
        headers: z.object({ 'x-namespace': z.string().optional() }),
        body: WirePayloads,
        bodyLimit: '8mb',
        response: WirePayloads,
        before: [allowUi, namespaceGuard],
      },
      async ({ body }) => {
        const payloads = body.payloads.map(fromWire);
        if (op === 'encode') return { payloads: (await codec.encode(payloads)).map(toWire) };
        // One payload that does not open (a key already removed, a foreign payload) leaves the others readable.
        const opened = await Promise.all(
          payloads.map((p, i) =>
            codec.decode([p]).then(
              ([o]) => o!,
              () => payloads[i]!,
            ),
          ),
        );
        return { payloads: opened.map(toWire) };
      },
    );
  }
  return router;
}
