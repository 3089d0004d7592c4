/**
 * The portal: the student's registration pages under /portal/ and the
 * registry staff's pages under /staff/, served by the gateway. Each page is a
 * static shell (pages.ts) plus bundled browser code (assets.ts) that talks to
 * the gateway's JSON API and nothing else, so the pages hold no rules of
 * their own: the workflow's status view says what to show.
 *
 * Mounted by the gateway with `app.use(portalRouter({ config }))`.
 */
import { Router, type RequestHandler } from 'express';
import type { Config } from '../config';
import { REGISTRY_CONTACT as registryContact, SUPPLEMENTARY_DOCUMENTS } from '../../workflows/registration/policy';
import { portalAssets } from './assets';
import { renderShell, type PortalApp } from './pages';

export type PortalConfig = Pick<Config, 'NODE_ENV' | 'oidc'>;

/**
 * What the student pages need before they can ask the API anything: whom to
 * write to when the link or the session does not work. (Everything else,
 * upload limits and the photo specification included, comes with the status.)
 */
export interface StudentBoot {
  registryContact: string;
  /** Whether activated students can sign in with their university account (single sign-on configured). */
  sso: boolean;
}

/** What the staff pages offer as filters beyond the fixed item kinds: the supplementary documents a cohort may ask for. */
export interface StaffBoot {
  supplementaryDocuments: Record<string, string>;
  /** Whether staff sign in through the identity provider; without it, API keys only. */
  sso: boolean;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function portalRouter({ config }: { config: PortalConfig }): Router {
  const router = Router();
  const assets = () => portalAssets(config.NODE_ENV === 'production');
  // Start bundling now so the first visitor does not wait for it.
  assets().catch(() => undefined);

  router.get('/portal/assets/:file', async (req, res, next) => {
    const asset = (await assets()).byFile.get(String(req.params.file));
    // Not one of ours (an old hash, a typo): the gateway's 404, not a page shell.
    if (!asset) return next('router');
    res.set({ 'Content-Type': asset.contentType, 'Cache-Control': IMMUTABLE, ETag: asset.etag });
    if (req.headers['if-none-match'] === asset.etag) return void res.status(304).end();
    res.send(asset.body);
  });

  const shell =
    (app: PortalApp, title: string, boot: unknown): RequestHandler =>
    async (_req, res) => {
      const html = renderShell({ app, title, assets: await assets(), boot, registryContact });
      // The shell names the current asset hashes, so it must be revalidated; the assets need not be.
      res.set('Cache-Control', 'no-cache').type('html').send(html);
    };

  const studentBoot: StudentBoot = { registryContact, sso: config.oidc !== undefined };
  router.get('/portal{/*rest}', shell('student', 'Program Registration · HKUST', studentBoot));
  const staffBoot: StaffBoot = { supplementaryDocuments: SUPPLEMENTARY_DOCUMENTS, sso: config.oidc !== undefined };
  router.get('/staff{/*rest}', shell('staff', 'Registration review · HKUST Academic Registry', staffBoot));
  return router;
}
