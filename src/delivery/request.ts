/**
 * The exact HTTP request for one attempt of one delivery (SPEC §4.1–§4.2). Pure: the
 * attempt's time is handed in. The body is the event's stored envelope bytes, never
 * re-serialised, so what is signed is what is sent.
 */
import { bodySchemeWrap, signHeaders } from '../core/signing.js';
import { mergeHeaders } from '../core/headers.js';
import { livedigitalBody } from '../core/livedigital.js';
import { renderTemplate, type RequestTemplate } from '../core/templates.js';
import type { Webhook } from '../store/webhooks.js';

export interface ProjectSettings {
  headerPrefix: string;
  userAgent: string;
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Template placeholders that had no value (rendered empty); reported in the attempt log. */
  missing?: string[];
}

export interface AttemptInfo {
  deliveryId: string;
  eventType: string;
  /** The envelope bytes stored at publish time. */
  payload: string;
  /** The event's space (seed 002 per-space webhooks). */
  space?: string | null;
  /** 1 for the first attempt. */
  attemptNumber: number;
  /** Reason the previous attempt failed (retries only). */
  retryReason?: string | null;
  /** Seconds until the next try should this one fail; omitted on the last attempt. */
  retryAfterSec?: number;
  nowMs: number;
}

/** Secrets that sign this attempt: the current one, plus the old one during its grace period. */
export function signingSecrets(w: Webhook, nowMs: number): string[] {
  return w.oldSecret && w.oldSecretExpiresAt && w.oldSecretExpiresAt > nowMs ? [w.secret, w.oldSecret] : [w.secret];
}

export function buildRequest(w: Webhook, project: ProjectSettings, a: AttemptInfo): OutboundRequest {
  const P = project.headerPrefix;
  const timestampSec = Math.floor(a.nowMs / 1000);
  // `body` scheme (livedigital): one signature fits in the payload, so the current secret signs.
  const body = w.spaceId
    ? livedigitalBody(w.secret, JSON.parse(a.payload), a.space ?? w.spaceId)
    : w.signature === 'body'
      ? bodySchemeWrap(w.secret, JSON.parse(a.payload))
      : a.payload;
  const own: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': project.userAgent,
    [`X-${P}-Event`]: a.eventType,
    [`X-${P}-Delivery`]: a.deliveryId,
    [`X-${P}-Timestamp`]: String(timestampSec),
  };
  if (a.attemptNumber > 1) {
    own[`X-${P}-Retry-Count`] = String(a.attemptNumber - 1);
    if (a.retryReason) own[`X-${P}-Retry-Reason`] = a.retryReason;
  }
  if (a.attemptNumber > 1 && a.retryAfterSec !== undefined) own[`X-${P}-Retry-After`] = String(a.retryAfterSec);
  // The webhook's own headers first: what Hookbridge sets wins over them, whatever their case.
  const headers = isEmpty(w.headers) ? own : mergeHeaders(w.headers, own);
  let req: OutboundRequest = { method: 'POST', url: w.url, headers, body };
  if (w.request && !w.spaceId) req = renderRequest(w, a, headers);
  // Signatures are computed last, over the exact bytes that go out (GET: an empty body).
  const signature = signHeaders({ scheme: w.signature, secrets: signingSecrets(w, a.nowMs), body: req.body ?? '', msgId: a.deliveryId, timestampSec, prefix: P });
  // Only Hookbridge's own headers (the usual webhook): no name of theirs is a signature header's, nothing to merge by case.
  if (req.headers === own) Object.assign(own, signature);
  else req.headers = mergeHeaders(req.headers, signature);
  return req;
}

function isEmpty(o: Record<string, string>): boolean {
  for (const _ in o) return false;
  return true;
}

/** Seed 003 request template: method, format, params and headers rendered from the event. */
function renderRequest(w: Webhook, a: AttemptInfo, headers: Record<string, string>): OutboundRequest {
  const env = JSON.parse(a.payload) as { id: string; type: string; createdAt: string; data: unknown };
  const r = renderTemplate(w.request as RequestTemplate, w.url, headers, {
    event: { id: env.id, type: env.type, createdAt: env.createdAt },
    data: env.data,
    webhook: { secret: w.secret },
    deliveryId: a.deliveryId,
  });
  return { method: r.method, url: r.url, headers: r.headers, body: r.body, missing: r.missing };
}
