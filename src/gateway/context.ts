/** Everything a router factory is given: the app's dependencies plus the pieces createApp builds once. */
import type { GatewayDeps } from './deps';
import type { CohortPhotoSpecs } from './photo-specs';
import type { RateLimits } from './rate-limit';
import type { RouteKit } from './route';
import type { BlobStore } from '../uploads/store';
import type { Registrations } from './workflow';

export interface RouterContext extends GatewayDeps {
  kit: RouteKit;
  limits: RateLimits;
  registrations: Registrations;
  blobs: BlobStore;
  /** Each cohort's photo specification, remembered (it never changes once written). */
  photoSpecs: CohortPhotoSpecs;
}
