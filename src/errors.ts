/**
 * One error type for the whole app. Handlers throw `AppError`; only the HTTP error
 * handler turns it into the seed 001 envelope `{success:false, error:{code,message,details}}`.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'BAD_GATEWAY',
  'SERVICE_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 422,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  INTERNAL_ERROR: 500,
};

export interface ErrorDetail {
  field?: string;
  message: string;
  [k: string]: unknown;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    opts: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.status = opts.status ?? STATUS[code];
    this.retryable = opts.retryable ?? false;
  }
  /** Whether the same call may succeed later (timeouts, 5xx); the worker decides from this alone. */
  readonly retryable: boolean;
}

export const notFound = (what: string, id: string) => new AppError('NOT_FOUND', `${what} ${id} not found`);
/**
 * `v`, or a 404 when it is gone: what a write read back after a concurrent delete took it
 * (a request that found the item, then lost it to another, answers as if it came second).
 */
export function found<T>(v: T | undefined | null, what: string, id: string): T {
  if (v === undefined || v === null) throw notFound(what, id);
  return v;
}
export const invalid = (message: string, details: ErrorDetail[] = []) =>
  new AppError('VALIDATION_ERROR', message, details);
/** A name a person reads in lists (a project's, a token's): trimmed, and never blank (422). */
export function label<T extends string | undefined>(v: T, field = 'name'): T {
  if (v === undefined) return v;
  const t = v.trim();
  if (!t) throw invalid(`${field} must not be blank`, [{ field, message: `${field} must not be blank` }]);
  return t as T;
}
