/**
 * Client of the Okdesk REST API (okdesk.ru/apidoc, apidocs.okdesk.ru). Every call carries
 * `?api_token=` in the query, as the API requires. What we use:
 * - `GET  /api/v1/contacts/?phone=` — contact search (exact phone match; it answers one
 *   contact object, `{}`/`[]`/404 when there is none — all read as "not found");
 * - `POST /api/v1/issues/` `{"issue": {title, description, contact_id}}` → `{id, …}`;
 * - `GET  /api/v1/issues/list?contact_ids[]=` → `[{id, title, status: {code, name}, …}]`;
 * - `POST /api/v1/issues/{id}/comments`
 *   `{"comment": {content, author_id, author_type: "contact", public: true}}` → `{id, …}`.
 * Okdesk reports errors as `{"errors": "text"}` or `{"errors": {"field": ["text"]}}`.
 *
 * Every failure is an AppError('BAD_GATEWAY') whose `retryable` tells the job worker what to
 * do: transport errors, timeouts (10 s), 429 and 5xx are retryable; 401/403 (the token),
 * 404 and other 4xx are not. `details[0].upstreamStatus` keeps Okdesk's status.
 */
import { request, type Dispatcher } from 'undici';
import { AppError } from '../../errors.js';
import { withTimeout } from '../../core/timeout.js';

export interface OkdeskClientOptions {
  /** `https://x.okdesk.ru`, `https://x.okdesk.ru/api/v1` or `…/api/v1/` (seed 004's form). */
  apiUrl: string;
  apiToken: string;
  dispatcher?: Dispatcher;
  /** Whole-call budget in ms. Default: 10000 */
  timeoutMs?: number;
}

export interface OkdeskContact { id: string; name: string; phone: string }
export interface OkdeskIssueSummary { id: string; title: string; statusCode: string; statusName: string }

export interface OkdeskClient {
  findContactByPhone(phone: string): Promise<OkdeskContact | undefined>;
  createIssue(input: { title: string; description: string; contactId: string }): Promise<{ id: string }>;
  listIssues(contactId: string): Promise<OkdeskIssueSummary[]>;
  addComment(issueId: string, input: { content: string; authorId: string }): Promise<{ id: string }>;
}

/** Digits only; an 11-digit Russian number written with a leading 8 becomes 7…. */
export function normalisePhone(s: string): string {
  const digits = s.replace(/\D/g, '');
  return digits.length === 11 && digits.startsWith('8') ? `7${digits.slice(1)}` : digits;
}

/** Origin plus any path prefix, without a trailing `/api/v1` or `/api`, so `/api/v1/...` can follow. */
export function okdeskBase(apiUrl: string): string {
  const u = new URL(apiUrl.trim());
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api(\/v1)?$/, '');
  return `${u.origin}${path}`;
}

/** Okdesk's error text, for messages and logs. */
function upstreamDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { errors?: unknown; error?: unknown; message?: unknown };
    const e = j.errors ?? j.error ?? j.message;
    if (typeof e === 'string') return e.slice(0, 300);
    if (e && typeof e === 'object') {
      return Object.entries(e as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join('; ')
        .slice(0, 300);
    }
  } catch {
    // not JSON: the text itself, shortened
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** `what` names the missing thing for a 404 ("issue 123"); `call` is "POST /api/v1/issues/". */
function statusError(status: number, text: string, what: string, call: string): AppError {
  const detail = upstreamDetail(text);
  const details = [{ message: detail || `HTTP ${status}`, upstreamStatus: status }];
  if (status === 429 || status >= 500) {
    return new AppError('BAD_GATEWAY', `Okdesk is unavailable (${status}) for ${call}; will retry`, details, { retryable: true });
  }
  if (status === 401 || status === 403) {
    return new AppError('BAD_GATEWAY', `Okdesk refused the API token (${status}): check OKDESK_API_TOKEN`, details, { retryable: false });
  }
  if (status === 404) return new AppError('BAD_GATEWAY', `Okdesk: no ${what} (404)`, details, { retryable: false });
  return new AppError('BAD_GATEWAY', `Okdesk rejected ${call} (${status}): ${detail || 'no reason given'}`, details, { retryable: false });
}

/** A call that got no answer: our deadline (withTimeout's TimeoutError, or undici's own timeouts) or the network. */
function transportError(err: unknown, timeoutMs: number): AppError {
  const e = err as { code?: string; name?: string; message?: string };
  const timedOut = /TIMEOUT|ABORT/.test(e.code ?? '') || e.name === 'AbortError' || e.name === 'TimeoutError';
  const message = timedOut
    ? `Okdesk did not answer within ${timeoutMs / 1000} s`
    : `Okdesk could not be reached (${e.code ?? e.message ?? 'connection failed'})`;
  return new AppError('BAD_GATEWAY', message, [{ message: e.message ?? String(err) }], { retryable: true, cause: err });
}

const idOf = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' && v.trim() ? v.trim() : undefined;

/** Okdesk ids are integers; send numeric strings as numbers. */
const apiId = (id: string): string | number => (/^\d+$/.test(id) ? Number(id) : id);

function contactOf(v: unknown): OkdeskContact | undefined {
  const c = (Array.isArray(v) ? v[0] : v) as Record<string, unknown> | undefined;
  const id = idOf(c?.id);
  if (!c || !id) return undefined;
  const parts = [c.last_name, c.first_name, c.patronymic].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  const name = parts.length ? parts.join(' ') : typeof c.name === 'string' ? c.name : '';
  const phone = [c.mobile_phone, c.phone].find((p): p is string => typeof p === 'string' && p !== '') ?? '';
  return { id, name, phone };
}

export function createOkdeskClient(opts: OkdeskClientOptions): OkdeskClient {
  const base = okdeskBase(opts.apiUrl);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  /** One call; `notFound: 'undefined'` turns a 404 into `undefined` instead of an error. */
  async function call(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    query: Array<[string, string]> = [],
    body?: unknown,
    notFound: 'error' | 'undefined' = 'error',
  ): Promise<unknown> {
    const qs = new URLSearchParams([['api_token', opts.apiToken], ...query]);
    // The whole call, body included, within timeoutMs; the timer goes once Okdesk answered.
    const { status, text } = await withTimeout(timeoutMs, 'Okdesk', async (signal) => {
      const res = await request(`${base}${path}?${qs}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(opts.dispatcher && { dispatcher: opts.dispatcher }),
      });
      return { status: res.statusCode, text: await res.body.text() };
    }).catch((err: unknown) => {
      throw transportError(err, timeoutMs);
    });
    if (status === 404 && notFound === 'undefined') return undefined;
    if (status < 200 || status >= 300) throw statusError(status, text, what, `${method} ${path}`);
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      // A 2xx page that is not JSON is usually the portal's HTML: a wrong OKDESK_API_URL, not a blip.
      throw new AppError('BAD_GATEWAY', `Okdesk answered ${method} ${path} with something that is not JSON (check OKDESK_API_URL)`, [{ message: text.slice(0, 200) }], { retryable: false, cause: err });
    }
  }

  function requireId(v: unknown, what: string): string {
    const id = idOf((v as { id?: unknown } | undefined)?.id);
    if (!id) throw new AppError('BAD_GATEWAY', `Okdesk answered ${what} without an id`, [], { retryable: false });
    return id;
  }

  return {
    async findContactByPhone(phone) {
      const digits = normalisePhone(phone);
      if (!digits) return undefined;
      const found = await call('GET', '/api/v1/contacts/', `a contact with phone +${digits}`, [['phone', `+${digits}`]], undefined, 'undefined');
      return contactOf(found);
    },
    async createIssue({ title, description, contactId }) {
      const res = await call('POST', '/api/v1/issues/', 'issues endpoint at /api/v1/issues/ (check OKDESK_API_URL)', [], { issue: { title, description, contact_id: apiId(contactId) } });
      return { id: requireId(res, 'the new issue') };
    },
    async listIssues(contactId) {
      const res = await call('GET', '/api/v1/issues/list', `contact ${contactId}`, [['contact_ids[]', contactId]]);
      if (!Array.isArray(res)) return [];
      return res.flatMap((i: Record<string, unknown>) => {
        const id = idOf(i?.id);
        if (!id) return [];
        const st = (i.status ?? {}) as { code?: unknown; name?: unknown };
        return [{ id, title: String(i.title ?? ''), statusCode: String(st.code ?? ''), statusName: String(st.name ?? '') }];
      });
    },
    async addComment(issueId, { content, authorId }) {
      const body = { comment: { content, author_id: apiId(authorId), author_type: 'contact', public: true } };
      const res = await call('POST', `/api/v1/issues/${encodeURIComponent(issueId)}/comments`, `issue ${issueId}`, [], body);
      return { id: requireId(res, `the comment on issue ${issueId}`) };
    },
  };
}
