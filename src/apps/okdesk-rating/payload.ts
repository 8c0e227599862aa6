/**
 * Pure parser of the webhooks Okdesk sends, in both shapes we must accept:
 *
 * 1. Seed 004 (its author's own format):
 *    `{event: {event_type: 'issue.status_changed' | 'issue.updated' | 'comment.created'},
 *      issue: {id: 1380, title, status: {code, name}, old_status: {code, name},
 *              client: {contact: {id: 95}, company: {id: 147}}}}`
 * 2. Real Okdesk (apidocs.okdesk.ru/webhookdoc, "Вебхуки → Заявки"): two parts, the issue
 *    and the event. The issue part carries `id: "153"` (ids are strings), `title`,
 *    `type: {code, name, inner}`, `status: {code, name}` (the status now),
 *    `old_status: {code, name}`, `client: {company: {id, name}, contact: {id, first_name, …}}`,
 *    `created_at`. The event part is `event: {event_type: 'new_ticket_status' | 'new_ticket' |
 *    'new_comment' | …, author: {…}, …}`; for `new_ticket_status` it may also carry
 *    `new_status`/`old_status` (third-party integrations read them there), for
 *    `new_comment` a `comment: {id, is_public, content}`.
 *    Assumption: we could read only the issue part of the official page, so the new status is
 *    taken from `event.new_status`, then `issue.status`, then `event.status`; the old one from
 *    `event.old_status`, then `issue.old_status`. Both places agree whenever both are present.
 */
import { storable } from '../../core/text.js';

export type WebhookKind = 'status' | 'created' | 'comment' | 'ignored';

/** What one webhook says about an issue; every id is a string. */
export interface IssueFacts {
  statusCode?: string;
  statusName?: string;
  oldStatusCode?: string;
  title?: string;
  contactId?: string;
  companyId?: string;
  /** Issue type name (or code), grouped as "top problems" in the statistics. */
  issueType?: string;
  /** When the issue was created (ms since epoch), when the payload says. */
  issueCreatedAt?: number;
  /** For comment events: the comment id, when present. */
  commentId?: string;
}

export type ParsedWebhook =
  | ({ kind: 'status' | 'created' | 'comment'; eventType: string; issueId: string } & IssueFacts)
  | ({ kind: 'ignored'; eventType: string; issueId?: string } & IssueFacts);

type Obj = Record<string, unknown>;

const KINDS: Partial<Record<string, Exclude<WebhookKind, 'ignored'>>> = {
  'issue.status_changed': 'status',
  new_ticket_status: 'status',
  'issue.created': 'created',
  new_ticket: 'created',
  'comment.created': 'comment',
  new_comment: 'comment',
};

/** Longest id and status code the app stores (its columns), and longest event type. */
export const MAX_ID = 64;
const MAX_EVENT_TYPE = 100;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** The trimmed text of a string (NUL and lone surrogates as U+FFFD), undefined when blank or not a string. */
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? storable(v.trim()) : undefined);

/** `str`, and no longer than an id or a status code may be (a longer one is none). */
const short = (v: unknown): string | undefined => {
  const s = str(v);
  return s !== undefined && s.length <= MAX_ID ? s : undefined;
};

/** A string or finite number id → trimmed string; anything else, or longer than MAX_ID, → undefined. */
export function idOf(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : short(v);
}

/** `{code, name}` (or a bare code string) → its parts. */
function status(v: unknown): { code?: string; name?: string } | undefined {
  if (typeof v === 'string') {
    const code = short(v);
    return code ? { code } : undefined;
  }
  if (!isObj(v)) return undefined;
  const code = short(v.code);
  const name = str(v.name);
  return code || name ? { code, name } : undefined;
}

/** The latest time a Date holds, in ms. */
const MAX_TIME = 8.64e15;

/** ISO string, seconds or ms → whole ms since epoch; undefined for what no Date holds. */
function timeOf(v: unknown): number | undefined {
  let t: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) t = v < 1e12 ? v * 1000 : v;
  else if (typeof v === 'string' && v.trim() !== '') t = Date.parse(v);
  if (t === undefined || Number.isNaN(t)) return undefined;
  t = Math.round(t);
  return t > 0 && t <= MAX_TIME ? t : undefined;
}

function eventTypeOf(body: Obj): string | undefined {
  const ev = body.event;
  if (typeof ev === 'string') return str(ev);
  return str(obj(ev).event_type) ?? str(body.event_type);
}

function factsOf(body: Obj, event: Obj, issue: Obj): IssueFacts {
  const client = obj(issue.client);
  const now = status(event.new_status) ?? status(issue.status) ?? status(event.status);
  const before = status(event.old_status) ?? status(issue.old_status);
  const type = issue.type;
  const comment = obj(event.comment ?? body.comment);
  const facts: IssueFacts = {
    statusCode: now?.code,
    statusName: now?.name,
    oldStatusCode: before?.code,
    title: str(issue.title),
    contactId: idOf(obj(client.contact).id) ?? idOf(obj(issue.contact).id) ?? idOf(issue.contact_id),
    companyId: idOf(obj(client.company).id) ?? idOf(obj(issue.company).id) ?? idOf(issue.company_id),
    issueType: typeof type === 'string' ? str(type) : str(obj(type).name) ?? str(obj(type).code),
    issueCreatedAt: timeOf(issue.created_at),
    commentId: idOf(comment.id),
  };
  // Leave absent facts out, so callers (and toEqual in tests) see only what was said.
  for (const k of Object.keys(facts) as (keyof IssueFacts)[]) if (facts[k] === undefined) delete facts[k];
  return facts;
}

/** Normalise one Okdesk webhook body; `{error}` (English) when it cannot be used. */
export function parseOkdeskWebhook(body: unknown): ParsedWebhook | { error: string } {
  if (!isObj(body)) return { error: 'The webhook body must be a JSON object' };
  const eventType = eventTypeOf(body);
  if (!eventType) return { error: 'The webhook has no event type (event.event_type)' };
  if (eventType.length > MAX_EVENT_TYPE) return { error: `The event type is longer than ${MAX_EVENT_TYPE} characters` };
  const event = obj(body.event);
  const issue = obj(body.issue);
  const comment = obj(event.comment ?? body.comment);
  const issueId = idOf(issue.id) ?? idOf(body.issue_id) ?? idOf(event.issue_id) ?? idOf(comment.issue_id);
  const facts = factsOf(body, event, issue);

  let kind: WebhookKind = Object.hasOwn(KINDS, eventType) ? KINDS[eventType]! : 'ignored';
  // Seed 004's backup event: an update that carries the issue status reports that status.
  if (eventType === 'issue.updated' && facts.statusCode) kind = 'status';

  if (kind === 'ignored') return { kind, eventType, ...(issueId !== undefined && { issueId }), ...facts };
  if (issueId === undefined) {
    const given = [issue.id, body.issue_id, event.issue_id, comment.issue_id].some((v) => typeof v === 'string' && v.trim().length > MAX_ID);
    if (given) return { error: `The ${eventType} webhook's issue id is longer than ${MAX_ID} characters` };
    return { error: `The ${eventType} webhook has no issue id (issue.id must be a string or a number)` };
  }
  return { kind, eventType, issueId, ...facts };
}
