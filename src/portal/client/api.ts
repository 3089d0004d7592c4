/**
 * The pages' only way to the gateway: one function per endpoint, the
 * gateway's JSON error shape turned into ApiError, uploads with progress.
 * Students are authenticated by the HttpOnly session cookie the token
 * exchange (or their single sign-on) sets; staff by theirs, set by single
 * sign-on, or by an API key as a bearer token.
 */
import type { z } from 'zod';
import type { ImportJobSchema, ImportPreviewSchema } from '../../gateway/schemas';
import type {
  Reclassification,
  ItemUpdateResult,
  ItemView,
  LateEventKind,
  PhotoSpec,
  RegistrationForm,
  RegistrationStatusView,
  RejectionReason,
} from '../../../workflows/registration/types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field-level problems of a VALIDATION_FAILED answer, keyed by the field's path. */
  get fieldIssues(): Array<{ path: string; message: string }> {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as Array<{ path: string; message: string }>) : [];
  }
}

const enc = encodeURIComponent;

interface RequestOptions {
  method?: string;
  json?: unknown;
  bearer?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** A state-changing action: sent with an Idempotency-Key (see `intentKey`) and retried once after a lost answer. */
  action?: boolean;
  /**
   * Read past the browser's cache (no If-None-Match, which the gateway answers from the read model's sequence number),
   * naming the newest change this page has seen of the registration (`seenChange`): the answer holds it.
   */
  fresh?: boolean;
}

/**
 * The newest change this page has seen of each registration: the `seq` of every answer about it (an action's, a
 * status's). A fresh status read names it, so the gateway answers from the read model only once that holds it, and
 * asks the workflow before (docs/architecture.md, "Reading one's own change").
 */
const seenChange = new Map<string, number>();
const registrationOf = (path: string): string | undefined => /^\/api\/registrations\/([^/?]+)/.exec(path)?.[1];
function see(path: string, body: unknown): void {
  const no = registrationOf(path);
  const seq = body && typeof body === 'object' ? (body as { seq?: unknown }).seq : undefined;
  if (no && typeof seq === 'number' && seq > (seenChange.get(no) ?? -1)) seenChange.set(no, seq);
}
/** `query` with the newest change seen of the registration `path` names, for a fresh read. */
const namingSeen = (path: string, query: RequestOptions['query']): RequestOptions['query'] => {
  const no = registrationOf(path);
  const seq = no === undefined ? undefined : seenChange.get(no);
  return seq === undefined ? query : { ...query, seq };
};

/**
 * One Idempotency-Key per intended action: the same body to the same path keeps
 * its key until it gets an answer other than "retry" (503, network), so a retry
 * (ours, or the user pressing the button again) gets the first answer from the
 * registration, never a refusal of its own earlier success.
 */
const intentKeys = new Map<string, string>();
const newKey = (): string =>
  typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
function intentKey(intent: string): string {
  let key = intentKeys.get(intent);
  if (!key) intentKeys.set(intent, (key = newKey()));
  return key;
}
/** Answers after which the same action may have been done: keep the key for the retry. */
const mayHaveHappened = (e: ApiError) => e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;

function withQuery(path: string, query: RequestOptions['query']): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '' && v !== false) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** The gateway's error body (docs/gateway.md, "Errors"), as far as this page reads it. */
interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: Record<string, unknown>;
  requestId?: string;
}

function toError(status: number, body: unknown, fallback: string): ApiError {
  const error = body && typeof body === 'object' ? (body as ErrorBody) : undefined;
  if (error && typeof error.code === 'string') {
    return new ApiError(status, error.code, String(error.message ?? fallback), error.details ?? {}, error.requestId);
  }
  return new ApiError(status, status === 0 ? 'NETWORK' : 'HTTP_' + status, fallback);
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  if (!opts.action) return send<T>(path, opts);
  const intent = `${opts.method ?? 'POST'} ${withQuery(path, opts.query)} ${JSON.stringify(opts.json ?? null)}`;
  const key = intentKey(intent);
  try {
    let result: T;
    try {
      result = await send<T>(path, opts, key);
    } catch (e) {
      if (!(e instanceof ApiError && mayHaveHappened(e))) throw e;
      await new Promise((r) => setTimeout(r, 1000));
      result = await send<T>(path, opts, key); // same key: the first attempt's answer if it went through
    }
    intentKeys.delete(intent);
    return result;
  } catch (e) {
    if (!(e instanceof ApiError && mayHaveHappened(e))) intentKeys.delete(intent);
    throw e;
  }
}

async function send<T>(path: string, opts: RequestOptions, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.fresh ? namingSeen(path, opts.query) : opts.query), {
      method: opts.method ?? (opts.json !== undefined ? 'POST' : 'GET'),
      headers,
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
      credentials: 'same-origin',
      ...(opts.fresh ? { cache: 'reload' as const } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) throw toError(res.status, body, `The server answered ${res.status}.`);
  see(path, body);
  return body as T;
}

/** multipart/form-data with upload progress (fetch cannot report it). */
function upload<T>(path: string, form: FormData, opts: { bearer?: string; onProgress?: (fraction: number) => void } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    if (opts.bearer) xhr.setRequestHeader('authorization', `Bearer ${opts.bearer}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && opts.onProgress?.(e.loaded / e.total);
    const interrupted = () => reject(new ApiError(0, 'NETWORK', 'The upload was interrupted. Check your connection and try again.'));
    xhr.onerror = interrupted;
    xhr.onabort = interrupted;
    xhr.ontimeout = interrupted;
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        see(path, body);
        resolve(body as T);
      } else reject(toError(xhr.status, body, `The upload failed (${xhr.status}).`));
    };
    xhr.send(form);
  });
}

// ---------------------------------------------------------------------------
// Shapes the gateway answers with, beyond the workflow's status view
// ---------------------------------------------------------------------------

export interface UploadRule {
  mediaTypes: string[];
  maxBytes: number;
}

/** GET /api/registrations/:no: the workflow's view plus what the pages need to guide the student. */
export interface StatusResponse extends RegistrationStatusView {
  contacts: { registration: string; activation: string; visa: string };
  /** What each file item accepts, by item key. */
  uploads: Record<string, UploadRule>;
  /** The cohort's photo specification. */
  photoSpec: PhotoSpec;
  /** The workflow in the Temporal UI (staff only). */
  workflowUrl?: string;
}

export interface SessionInfo {
  applicationNo: string;
  expiresAt?: string;
}

export interface StaffIdentity {
  name: string;
  role: 'officer' | 'admin';
}

export interface QueueEntry {
  applicationNo: string;
  name: string;
  programCode: string;
  cohortId?: string;
  itemKey: string;
  itemLabel?: string;
  kind?: string;
  state: string;
  submittedAt: string;
  ageWorkingDays: number;
  expectedVerificationBy?: string | null;
  /** The Hong Kong date the service level falls on (`YYYY-MM-DD`): what "Due by" shows. */
  expectedVerificationDate?: string | null;
  slaBreached?: boolean;
  /** Something to look at before deciding, e.g. a payment that does not match the cohort's fee. */
  flag?: string | null;
}

/** A payment or activation that arrived after the registration's outcome (GET /api/late-events). */
export interface LateEventEntry {
  applicationNo: string;
  name: string;
  programCode: string;
  cohortId: string;
  seq: number;
  kind: LateEventKind;
  actor: string;
  at: string;
  registrationStatus: string;
  outcomeReason: string | null;
  data: Record<string, unknown>;
}

export interface LateEventFilters {
  kind?: string;
  cohortId?: string;
  programCode?: string;
  applicationNo?: string;
  page?: number;
}

export interface Page<T> {
  items: T[];
  total?: number;
  page?: number;
  pageSize?: number;
  nextCursor?: string | null;
}

export interface RegistrationSummary {
  applicationNo: string;
  name: string;
  personalEmail?: string;
  programCode: string;
  studyLevel: string;
  residency: string;
  cohortId: string;
  status: string;
  outstandingItems: string[];
  registrationDeadline: string;
  paymentDeadline?: string | null;
  /** Mail to the personal email bounced for good or was marked as spam (not corrected yet). */
  personalEmailProblem?: 'BOUNCED' | 'COMPLAINED' | null;
  updatedAt?: string;
}

export interface AuditEntry {
  seq: number;
  type: string;
  actor: string;
  at: string;
  data?: unknown;
}

export interface DocumentInfo {
  id: string;
  itemKey: string;
  version: number;
  originalName: string;
  size: number;
  mediaType: string;
  sha256?: string;
  uploadedAt?: string;
  uploadedBy?: string;
}

/** The import job as the gateway sends it (its schema is the one source). */
export type ImportJob = z.output<typeof ImportJobSchema>;
export type ImportPreview = z.output<typeof ImportPreviewSchema>;

// ---------------------------------------------------------------------------
// Student
// ---------------------------------------------------------------------------

const reg = (no: string) => `/api/registrations/${enc(no)}`;

export const studentApi = {
  session: () => request<SessionInfo>('/api/session'),
  signOut: () => request<void>('/api/session', { method: 'DELETE' }),
  /** `fresh` after the student's own action: the answer has that change (`RequestOptions.fresh`, `seenChange`). */
  status: (no: string, fresh = false) => request<StatusResponse>(reg(no), { fresh }),
  submitForm: (no: string, form: RegistrationForm) => request<ItemView>(`${reg(no)}/form`, { json: { form }, action: true }),
  /** A page for an item's next submission (kept until it is sent for review). */
  addPage: (no: string, itemKey: string, file: File, onProgress?: (f: number) => void) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return upload<ItemView>(`${reg(no)}/items/${enc(itemKey)}/pages`, form, { onProgress });
  },
  removePage: (no: string, itemKey: string, page: number) =>
    request<ItemView>(`${reg(no)}/items/${enc(itemKey)}/pages/${page}`, { method: 'DELETE', action: true }),
  /** Sends the pages `shown` (the draft as this page drew it) and nothing else: 409 PAGES_CHANGED if they changed elsewhere. */
  sendForReview: (no: string, itemKey: string, shown: ItemView['draft']) =>
    request<ItemView>(`${reg(no)}/items/${enc(itemKey)}/send`, {
      method: 'POST',
      action: true,
      query: { version: shown[0]?.version, pages: shown.map((p) => p.page ?? 1).join(',') },
    }),
  decline: (no: string, reason?: string) => request<RegistrationStatusView>(`${reg(no)}/decline`, { json: { reason }, action: true }),
  /** "Email me a new link": always the same answer, whether or not the details match. */
  requestLink: (applicationNo: string, personalEmail: string) => request<{ message: string }>('/api/session/link', { json: { applicationNo, personalEmail } }),
  documentUrl: (no: string, documentId: string) => `${reg(no)}/documents/${enc(documentId)}`,
};

// ---------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------

export interface QueueFilters {
  programCode?: string;
  kind?: string;
  state?: string;
  cohortId?: string;
  page?: number;
}

export interface RegistrationFilters {
  status?: string;
  programCode?: string;
  cohortId?: string;
  outstanding?: string;
  overdue?: boolean;
  /** Only registrations whose personal email bounced for good or was marked as spam. */
  emailProblem?: boolean;
  page?: number;
  q?: string;
}

/** The Authorization header for an API key; none for a single sign-on session (its cookie goes by itself). */
export const staffAuthHeaders = (key: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/** Ends the staff member's single sign-on session on the server. */
export const staffSignOut = () => request<void>('/api/staff/session', { method: 'DELETE' });

/** `key`: an API key, or '' for the single sign-on session cookie. */
export function staffApi(key: string) {
  const get = <T>(path: string, query?: RequestOptions['query'], fresh = false) => request<T>(path, { bearer: key, query, fresh });
  const item = (no: string, itemKey: string) => `${reg(no)}/items/${enc(itemKey)}`;
  /**
   * The newest change this tab's own actions were answered with, by registration: the audit trail read after them
   * names it, so that it holds them though its read model follows by a moment (docs/architecture.md, "Reading one's own change").
   */
  const seen = new Map<string, number>();
  const post = async <T extends { seq?: number }>(no: string, path: string, json: unknown): Promise<T> => {
    const answer = await request<T>(path, { bearer: key, json, action: true });
    if (typeof answer.seq === 'number') seen.set(no, Math.max(seen.get(no) ?? 0, answer.seq));
    return answer;
  };
  const seenBy = (no: string) => ({ seq: seen.get(no) });
  return {
    whoami: () => get<StaffIdentity>('/api/staff/me'),
    /**
     * For EventSource, which cannot send the key: a token for the event streams' URL. A single
     * sign-on session (no key) needs none: EventSource sends its cookie, which opens the streams.
     */
    streamToken: async () =>
      key ? (await request<{ streamToken: string; expiresAt: string }>('/api/events/token', { bearer: key, method: 'POST' })).streamToken : undefined,
    queue: (f: QueueFilters) => get<Page<QueueEntry>>('/api/review-queue', { ...f }),
    registrations: (f: RegistrationFilters) => get<Page<RegistrationSummary>>('/api/registrations', { ...f }),
    lateEvents: (f: LateEventFilters) => get<Page<LateEventEntry>>('/api/late-events', { ...f }),
    /** Always from the workflow: a staff page reads it after a change (its own, or one its stream announced). */
    registration: (no: string) => get<StatusResponse>(reg(no), undefined, true),
    audit: (no: string) => get<{ items: AuditEntry[] } | AuditEntry[]>(`${reg(no)}/audit`, seenBy(no)),
    documents: (no: string) => get<{ items: DocumentInfo[] } | DocumentInfo[]>(`${reg(no)}/documents`, seenBy(no)),
    verify: (no: string, itemKey: string, note?: string) => post<ItemUpdateResult>(no, `${item(no, itemKey)}/verify`, { note: note || undefined }),
    reject: (no: string, itemKey: string, reasonCode: RejectionReason, note: string) =>
      post<ItemUpdateResult>(no, `${item(no, itemKey)}/reject`, { reasonCode, note }),
    waive: (no: string, itemKey: string, reason: string) => post<ItemUpdateResult>(no, `${item(no, itemKey)}/waive`, { reason }),
    correctForm: (no: string, changes: Partial<RegistrationForm>, reason: string) =>
      post<RegistrationStatusView>(no, `${reg(no)}/form/correction`, { changes, reason }),
    reclassify: (no: string, changes: Reclassification, reason: string) => post<RegistrationStatusView>(no, `${reg(no)}/reclassification`, { changes, reason }),
    correctPersonalEmail: (no: string, personalEmail: string, reason: string) =>
      post<RegistrationStatusView>(no, `${reg(no)}/personal-email`, { personalEmail, reason }),
    extendDeadline: (no: string, deadline: 'REGISTRATION' | 'PAYMENT', until: string, reason: string) =>
      post<RegistrationStatusView>(no, `${reg(no)}/deadline`, { deadline, until, reason }),
    /** What importing the file would do; nothing is started. */
    previewImport: (file: File, onProgress?: (f: number) => void) => {
      const form = new FormData();
      form.append('file', file, file.name);
      return upload<ImportPreview>('/api/imports/preview', form, { bearer: key, onProgress });
    },
    /** Imports the file that was checked: `sha256` is the preview's, and a different file is refused (409). */
    importCohort: (file: File, sha256: string, onProgress?: (f: number) => void) => {
      const form = new FormData();
      form.append('file', file, file.name);
      return upload<ImportJob>(`/api/imports?sha256=${enc(sha256)}`, form, { bearer: key, onProgress });
    },
    importJob: (id: string) => get<ImportJob>(`/api/imports/${enc(id)}`),
    imports: () => get<Page<ImportJob>>('/api/imports', { pageSize: 10 }),
    /** Files need an API key in a header, so they are fetched and handed to the browser as a blob. */
    async download(no: string, documentId: string): Promise<Blob> {
      const res = await fetch(`${reg(no)}/documents/${enc(documentId)}`, { headers: staffAuthHeaders(key) });
      if (!res.ok) {
        const body = await res.json().catch(() => undefined);
        throw toError(res.status, body, `Download failed (${res.status}).`);
      }
      return res.blob();
    },
  };
}

export type StaffApi = ReturnType<typeof staffApi>;
