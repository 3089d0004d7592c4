/**
 * The gateway's one error type. Every failure an API client can see is an
 * AppError with a code from ErrorCode (the development identity provider's HTML
 * pages answer for themselves), and `httpStatus` is the only place a code
 * becomes an HTTP status. Foreign errors are translated where they are
 * understood: Temporal's in temporal-errors.ts (and a closed or continued
 * workflow in workflow.ts, which has to ask Temporal which it is), the rest
 * (zod, body parsers, the database) by `toAppError` in app.ts, whose error
 * handler writes every one of them.
 */
import type { ZodError } from 'zod';

export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  EMPTY_FILE: 'EMPTY_FILE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  STALE_WEBHOOK: 'STALE_WEBHOOK',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  REGISTRATION_NOT_FOUND: 'REGISTRATION_NOT_FOUND',
  ITEM_NOT_FOUND: 'ITEM_NOT_FOUND',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  WEBHOOK_REPLAYED: 'WEBHOOK_REPLAYED',
  SUBMISSION_LIMIT_REACHED: 'SUBMISSION_LIMIT_REACHED',
  PAGE_LIMIT_REACHED: 'PAGE_LIMIT_REACHED',
  PAGE_NOT_FOUND: 'PAGE_NOT_FOUND',
  PAGES_CHANGED: 'PAGES_CHANGED',
  COHORT_POLICY_CONFLICT: 'COHORT_POLICY_CONFLICT',
  UNIVERSITY_EMAIL_IN_USE: 'UNIVERSITY_EMAIL_IN_USE',
  IMPORT_CHANGED: 'IMPORT_CHANGED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PHOTO_SPEC_NOT_MET: 'PHOTO_SPEC_NOT_MET',
  INVALID_INPUT: 'INVALID_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  NOT_READY: 'NOT_READY',
  WORKFLOW_UNAVAILABLE: 'WORKFLOW_UNAVAILABLE',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one map from error code to HTTP status. */
export const httpStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  EMPTY_FILE: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  BAD_SIGNATURE: 401,
  STALE_WEBHOOK: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  REGISTRATION_NOT_FOUND: 404,
  ITEM_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  WEBHOOK_REPLAYED: 409,
  SUBMISSION_LIMIT_REACHED: 409,
  PAGE_LIMIT_REACHED: 409,
  PAGE_NOT_FOUND: 404,
  PAGES_CHANGED: 409,
  COHORT_POLICY_CONFLICT: 409,
  UNIVERSITY_EMAIL_IN_USE: 409,
  IMPORT_CHANGED: 409,
  PAYLOAD_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PHOTO_SPEC_NOT_MET: 422,
  INVALID_INPUT: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  NOT_READY: 503,
  WORKFLOW_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
};

/** What each code means, for the API documentation. */
export const errorDescriptions: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request does not match the schema; `details.issues` lists each field.',
  EMPTY_FILE: 'An uploaded file has no bytes.',
  UNAUTHENTICATED: 'No credentials, or credentials that are not valid.',
  TOKEN_EXPIRED: 'The invitation link or session has expired.',
  BAD_SIGNATURE: 'The webhook signature does not match the body.',
  STALE_WEBHOOK: 'The webhook timestamp is outside the replay window.',
  FORBIDDEN: "Authenticated, but not allowed to do this (another student's registration, or a role too low).",
  NOT_FOUND: 'No such resource.',
  METHOD_NOT_ALLOWED: 'The resource exists, but not with this method.',
  REQUEST_TIMEOUT: 'The request (its headers, or its body after a pause) did not arrive in time; the connection is closed. Send it again.',
  REGISTRATION_NOT_FOUND: 'No registration with this application number.',
  ITEM_NOT_FOUND: "This registration's checklist has no such item.",
  INVALID_TRANSITION: 'The registration refuses this step in its current state.',
  WEBHOOK_REPLAYED: 'This webhook delivery was already accepted.',
  SUBMISSION_LIMIT_REACHED:
    'This item already holds the most submissions one item takes (`details.limit`); the registry can help if it must be replaced again.',
  PAGE_LIMIT_REACHED:
    "The item's next submission already holds the most pages one submission takes (`details.limit`, `details.pages`); remove a page to add another.",
  PAGE_NOT_FOUND: "The item's next submission has no such page (`details.pages` lists the pages it has); a sent submission's pages cannot be removed.",
  PAGES_CHANGED:
    "The item's pages are not the ones the request says were shown (`details.version`, `details.pages` are those it holds): one was added or taken out elsewhere. Nothing was sent.",
  IMPORT_CHANGED: 'The import was confirmed for a checked file (`sha256`) and this file is a different one: check it again.',
  COHORT_POLICY_CONFLICT:
    'The cohort already exists with other deadlines or policy; running registrations keep theirs. Extend a deadline per registration instead (`details.howToExtend`).',
  UNIVERSITY_EMAIL_IN_USE: "The university account is already another registration's: single sign-on would open that registration for both students.",
  PAYLOAD_TOO_LARGE: 'The body or file is larger than allowed for this item.',
  QUOTA_EXCEEDED: "The registration's storage quota would be exceeded; `details` gives the quota, the bytes in use and what is left.",
  UNSUPPORTED_MEDIA_TYPE: "The file's bytes are not a type this item accepts.",
  PHOTO_SPEC_NOT_MET: 'The photo does not meet the specification; the message says what to fix.',
  INVALID_INPUT: 'The registration refuses the content of this request (the message says why).',
  RATE_LIMITED: 'Too many requests (or too many open event streams); retry after the time in the Retry-After header.',
  HEADERS_TOO_LARGE: 'The request headers are larger than the server reads.',
  NOT_READY: 'A dependency (PostgreSQL or Temporal) does not answer.',
  WORKFLOW_UNAVAILABLE: 'Temporal did not answer in time; nothing was changed, retry later.',
  DATABASE_UNAVAILABLE: 'PostgreSQL did not answer; retry after the time in the Retry-After header.',
  INTERNAL: 'Unexpected error; the request id identifies it in the logs.',
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }

  get status(): number {
    return httpStatus[this.code];
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  requestId?: string;
}

export type RequestPart = 'body' | 'query' | 'params' | 'headers' | 'file';

export interface FieldIssue {
  in: RequestPart;
  path: string;
  message: string;
}

export function validationError(part: RequestPart, error: ZodError): AppError {
  const issues: FieldIssue[] = error.issues.map((i) => ({ in: part, path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return new AppError(
    ErrorCode.VALIDATION_FAILED,
    first ? `Invalid ${part}${first.path ? ` field "${first.path}"` : ''}: ${first.message}` : `Invalid ${part}`,
    { issues },
  );
}

export const forbidden = (why: string) => new AppError(ErrorCode.FORBIDDEN, why);
