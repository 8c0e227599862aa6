/** The dashboard's only way to the server: the public /v1 API with the signed-in token. */
import { loadSession } from './session';

export interface ErrorDetail {
  field?: string;
  message: string;
}

/** An API error as the API wrote it: status, code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
}

export interface Answer<T> {
  data: T;
  pagination?: Pagination;
}

/** Called when the API says the token no longer works (expired portal link, revoked token). */
let onUnauthorized: (err: ApiError) => void = () => {};
export const setUnauthorizedHandler = (fn: (err: ApiError) => void) => {
  onUnauthorized = fn;
};

export function authHeaders(token?: string): Record<string, string> {
  const s = loadSession();
  const t = token ?? s?.token;
  const h: Record<string, string> = {};
  if (t) h.authorization = `Bearer ${t}`;
  if (!token && s?.kind === 'admin' && s.project) h['x-hookbridge-project'] = s.project;
  return h;
}

/** One API call. Throws ApiError with the API's own message (or a network error's). */
export async function api<T = unknown>(method: string, path: string, body?: unknown, opts: { token?: string } = {}): Promise<Answer<T>> {
  const headers = authHeaders(opts.token);
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', `The server could not be reached: ${(err as Error).message}`);
  }
  if (res.status === 204) return { data: undefined as T };
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json?.error;
    const err = e?.message
      ? new ApiError(res.status, e.code ?? 'ERROR', e.message, Array.isArray(e.details) ? e.details : [])
      : new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 500) || res.statusText);
    if (res.status === 401 && !opts.token) onUnauthorized(err);
    throw err;
  }
  // The per-space routes answer bare objects; everything else the envelope.
  if (json && typeof json === 'object' && json.success === true) return { data: json.data as T, pagination: json.pagination };
  return { data: json as T };
}

export const get = <T>(path: string) => api<T>('GET', path);

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null | false>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Downloads a file the API answers (e.g. a CSV) with the token, as the browser's own download. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) {
    const json = await res.json().catch(() => undefined);
    throw new ApiError(res.status, json?.error?.code ?? `HTTP_${res.status}`, json?.error?.message ?? res.statusText);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
