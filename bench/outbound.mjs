/**
 * What the baseline systems (bench/relay.mjs, bench/graphile.mjs) do per event, the same
 * work Hookbridge does on the wire: an envelope `{id, type, createdAt, data}` serialised
 * once, and Hookbridge's header set (SPEC §4.1) with an HMAC-SHA256 signature over it.
 * Only storage differs between the systems, which is what the throughput rows compare.
 */
import { createHmac, randomBytes } from 'node:crypto';

const SECRET = randomBytes(24).toString('hex');
let seq = 0;
const prefix = `${process.pid.toString(36)}_${Date.now().toString(36)}`;

/** A fresh event id (unique across the processes of one run). */
export const newEventId = () => `evt_${prefix}_${(seq++).toString(36)}`;

/** The envelope's head for a POST /v1/events body `{type, data}`: a fresh id and its time. */
export const eventHead = (body) => ({ id: newEventId(), type: body.type, createdAt: new Date().toISOString() });

/** The envelope bytes, in Hookbridge's key order. */
export const serialise = (head, data) => JSON.stringify({ id: head.id, type: head.type, createdAt: head.createdAt, data });

/** Headers of one delivery attempt, signed over the exact bytes sent. */
export function signedHeaders(type, deliveryId, payload) {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Hookbridge-Webhooks/1.0',
    'x-hookbridge-event': type,
    'x-hookbridge-delivery': deliveryId,
    'x-hookbridge-timestamp': String(ts),
    'x-hookbridge-signature': `sha256=${createHmac('sha256', SECRET).update(`${ts}.${payload}`).digest('hex')}`,
  };
}

/** Minimal shape check of a publish body, as any service would do before accepting it. */
export function badPublish(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object';
  if (typeof body.type !== 'string' || !body.type) return 'type is required';
  if (!('data' in body)) return 'data is required';
  return undefined;
}
