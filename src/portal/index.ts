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
import { defaultCohortPolicy, type ItemKind, type PhotoSpec } from '../../workflows/registration/api';
import { DOCUMENT_RULES, type UploadRule } from '../uploads/rules';
import { portalAssets } from './assets';
import { renderShell, type PortalApp } from './pages';

export type PortalConfig = Pick<Config, 'NODE_ENV' | 'temporalUiUrl' | 'TEMPORAL_NAMESPACE'>;

/**
 * What the student pages need from the server: the limits they check before
 * uploading, from the same modules the gateway enforces them with. The photo
 * specification is the default cohort policy's (the status view does not carry
 * the cohort's own).
 */
export interface StudentBoot {
  photoSpec: PhotoSpec;
  uploadRules: Partial<Record<ItemKind, UploadRule>>;
}

/** What the staff pages need: where the Temporal UI shows a registration's workflow. */
export interface StaffBoot {
  temporalUiUrl: string;
  namespace: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function portalRouter({ config }: { config: PortalConfig }): Router {
  const router = Router();
  const assets = () => portalAssets(config.NODE_ENV === 'production');
  // Start bundling now so the first visitor does not wait for it.
  assets().catch(() => undefined);

  router.get('/portal/assets/:file', async (req, res, next) => {
    const asset = (await assets()).byFile.get(String(req.params.file));
    if (!asset) return next();
    res.set({ 'Content-Type': asset.contentType, 'Cache-Control': IMMUTABLE, ETag: asset.etag });
    if (req.headers['if-none-match'] === asset.etag) return void res.status(304).end();
    res.send(asset.body);
  });

  const studentBoot: StudentBoot = { photoSpec: defaultCohortPolicy(new Date(0).toISOString()).photo, uploadRules: DOCUMENT_RULES };
  const staffBoot: StaffBoot = { temporalUiUrl: config.temporalUiUrl.replace(/\/+$/, ''), namespace: config.TEMPORAL_NAMESPACE };

  const shell =
    (app: PortalApp, title: string, boot: unknown): RequestHandler =>
    async (_req, res) => {
      const html = renderShell({ app, title, assets: await assets(), boot });
      // The shell names the current asset hashes, so it must be revalidated; the assets need not be.
      res.set('Cache-Control', 'no-cache').type('html').send(html);
    };

  router.get('/portal{/*rest}', shell('student', 'Program Registration · HKUST', studentBoot));
  router.get('/staff{/*rest}', shell('staff', 'Registration review · HKUST Academic Registry', staffBoot));
  return router;
}
