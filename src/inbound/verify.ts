/**
 * Inbound request verification (SPEC §5b). Pure: the caller hands in the headers, the
 * query, the exact body bytes and the current time, and gets back either what passed
 * or which check failed, in words a sender's operator can act on.
 */
import { createHmac } from 'node:crypto';
import { ed25519Verifies, isEd25519PublicKey, safeEqual, standardKey } from '../core/signing.js';
import type { DedupeRule, Verification } from '../store/sources.js';

export interface VerifyInput {
  /** Lower-cased header names (as Node gives them). */
  headers: Record<string, string | undefined>;
  query: Record<string, string>;
  body: Buffer;
}

export type VerifyResult =
  | { ok: true; type: Verification['type']; detail?: string }
  /** `check` names what failed: `signature`, `timestamp`, `token`, `credentials`. */
  | { ok: false; type: Verification['type']; check: string; message: string };

/** Seconds a signed timestamp may differ from now (either way) unless a source says otherwise. */
export const DEFAULT_TOLERANCE_SEC = 300;
export const DEFAULT_HOOKBRIDGE_PREFIX = 'Hookbridge';

const fail = (type: Verification['type'], check: string, message: string): VerifyResult => ({ ok: false, type, check, message });

export function verifyRequest(v: Verification, req: VerifyInput, nowSec: number): VerifyResult {
  switch (v.type) {
    case 'none':
      return { ok: true, type: 'none' };
    case 'token':
      return verifyToken(v, req);
    case 'basic':
      return verifyBasic(v, req);
    case 'hmac':
      return verifyHmac(v, req, nowSec);
    case 'github':
      return verifyHmac(
        { type: 'hmac', header: 'X-Hub-Signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', secret: v.secret },
        req,
        nowSec,
        'github',
      );
    case 'hookbridge':
      return verifyHookbridge(v, req, nowSec);
    case 'stripe':
      return verifyStripe(v, req, nowSec);
    case 'standard':
      return verifyStandard(v, req, nowSec);
  }
}

/** The id a preset's sender puts on each delivery (the same across its retries). */
export function naturalDedupe(v: Verification): DedupeRule {
  switch (v.type) {
    case 'github':
      return { header: 'X-GitHub-Delivery' };
    case 'stripe':
      return { jsonPath: 'id' };
    case 'standard':
      return { header: 'webhook-id' };
    case 'hookbridge':
      return { header: `X-${v.prefix ?? DEFAULT_HOOKBRIDGE_PREFIX}-Delivery` };
    default:
      return null;
  }
}

function verifyToken(v: Extract<Verification, { type: 'token' }>, req: VerifyInput): VerifyResult {
  let given: string | undefined;
  if (v.header) {
    given = req.headers[v.header.toLowerCase()];
    // `Authorization: Bearer <token>` is the usual way to carry a token in a header.
    if (given && v.header.toLowerCase() === 'authorization') given = given.replace(/^Bearer\s+/i, '');
  } else {
    given = req.query.token;
  }
  const where = v.header ? `the ${v.header} header` : 'the ?token= query parameter';
  if (!given) return fail('token', 'token', `Missing token: send it in ${where}`);
  if (!safeEqual(given, v.token)) return fail('token', 'token', `The token in ${where} does not match`);
  return { ok: true, type: 'token' };
}

function verifyBasic(v: Extract<Verification, { type: 'basic' }>, req: VerifyInput): VerifyResult {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return fail('basic', 'credentials', 'Missing credentials: send "Authorization: Basic <base64 user:password>"');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const pass = colon < 0 ? '' : decoded.slice(colon + 1);
  // Both compared every time, so a wrong user costs as long as a wrong password.
  const okUser = safeEqual(user, v.username);
  const okPass = safeEqual(pass, v.password);
  if (!(okUser && okPass)) return fail('basic', 'credentials', 'The Basic credentials do not match');
  return { ok: true, type: 'basic' };
}

/** True when `given` (in `encoding`, prefix already stripped) equals `expected`. */
function digestMatches(expected: Buffer, given: string, encoding: 'hex' | 'base64'): boolean {
  const valid = encoding === 'hex' ? /^[0-9a-fA-F]+$/.test(given) : /^[A-Za-z0-9+/_-]+={0,2}$/.test(given);
  if (!valid) return false;
  const bytes = Buffer.from(given, encoding === 'hex' ? 'hex' : 'base64');
  return safeEqual(bytes, expected);
}

function checkTimestamp(type: Verification['type'], raw: string | undefined, where: string, tolerance: number, nowSec: number): VerifyResult | null {
  if (!raw) return fail(type, 'timestamp', `Missing timestamp: ${where} is required`);
  if (!/^\d{1,12}$/.test(raw.trim())) return fail(type, 'timestamp', `The timestamp in ${where} is not unix seconds`);
  const skew = Math.abs(nowSec - Number(raw.trim()));
  if (skew > tolerance) {
    return fail(type, 'timestamp', `The timestamp in ${where} is ${skew} s away from now, outside the ${tolerance} s tolerance (stale or replayed request)`);
  }
  return null;
}

/** The signed bytes for a `payload` template: `{body}` is the raw body, `{timestamp}` the header's value. */
function signedContent(template: string | undefined, body: Buffer, timestamp: string | undefined): Buffer {
  if (!template || template === '{body}') return body;
  const parts = template.split('{body}').map((p) => Buffer.from(p.replaceAll('{timestamp}', timestamp ?? ''), 'utf8'));
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(body);
    out.push(p);
  });
  return Buffer.concat(out);
}

function verifyHmac(
  v: Extract<Verification, { type: 'hmac' }>,
  req: VerifyInput,
  nowSec: number,
  type: Verification['type'] = 'hmac',
): VerifyResult {
  const raw = req.headers[v.header.toLowerCase()];
  if (!raw) return fail(type, 'signature', `Missing signature: the ${v.header} header is required`);
  let timestamp: string | undefined;
  if (v.timestampHeader) {
    timestamp = req.headers[v.timestampHeader.toLowerCase()];
    const bad = checkTimestamp(type, timestamp, `the ${v.timestampHeader} header`, v.tolerance ?? DEFAULT_TOLERANCE_SEC, nowSec);
    if (bad) return bad;
  }
  const expected = createHmac(v.algorithm, v.secret).update(signedContent(v.payload, req.body, timestamp?.trim())).digest();
  // Several values (comma- or space-separated) are accepted: senders rotating a secret send both.
  const candidates = raw.split(/[\s,]+/).filter(Boolean);
  const matched = candidates.some((c) => c.startsWith(v.prefix) && digestMatches(expected, c.slice(v.prefix.length), v.encoding));
  if (!matched) return fail(type, 'signature', `The signature in ${v.header} does not match the body (check the secret)`);
  return { ok: true, type };
}

function verifyHookbridge(v: Extract<Verification, { type: 'hookbridge' }>, req: VerifyInput, nowSec: number): VerifyResult {
  const P = v.prefix ?? DEFAULT_HOOKBRIDGE_PREFIX;
  // Hookbridge's `hmac-sha256` scheme signs the body only; the timestamp header is
  // checked for freshness, which bounds how long a captured request can be replayed
  // (dedupe by X-{P}-Delivery closes the rest of that window).
  return verifyHmac(
    {
      type: 'hmac',
      header: `X-${P}-Signature`,
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'sha256=',
      secret: v.secret,
      timestampHeader: `X-${P}-Timestamp`,
      tolerance: v.tolerance,
    },
    req,
    nowSec,
    'hookbridge',
  );
}

/** Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, HMAC-SHA256(secret, `${t}.${body}`). */
function verifyStripe(v: Extract<Verification, { type: 'stripe' }>, req: VerifyInput, nowSec: number): VerifyResult {
  const raw = req.headers['stripe-signature'];
  if (!raw) return fail('stripe', 'signature', 'Missing signature: the Stripe-Signature header is required');
  const pairs = raw.split(',').map((p) => p.trim().split('=') as [string, string?]);
  const t = pairs.find(([k]) => k === 't')?.[1];
  const v1 = pairs.filter(([k, val]) => k === 'v1' && val).map(([, val]) => val!);
  const bad = checkTimestamp('stripe', t, 'Stripe-Signature (t=)', v.tolerance ?? DEFAULT_TOLERANCE_SEC, nowSec);
  if (bad) return bad;
  if (!v1.length) return fail('stripe', 'signature', 'Stripe-Signature carries no v1= signature');
  const expected = createHmac('sha256', v.secret).update(Buffer.concat([Buffer.from(`${t}.`, 'utf8'), req.body])).digest();
  if (!v1.some((s) => digestMatches(expected, s, 'hex'))) {
    return fail('stripe', 'signature', 'No v1 signature in Stripe-Signature matches the body (check the endpoint secret)');
  }
  return { ok: true, type: 'stripe' };
}

/**
 * Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64> …`
 * over `id.timestamp.body` with the base64 key after `whsec_` — or, when the source holds
 * the sender's `whpk_` public key, `v1a,<b64>` ed25519 signatures of the same bytes. Svix
 * sends the scheme under `svix-*` names, so those are read when the standard ones are absent.
 */
function verifyStandard(v: Extract<Verification, { type: 'standard' }>, req: VerifyInput, nowSec: number): VerifyResult {
  const h = (name: string) => req.headers[`webhook-${name}`] ?? req.headers[`svix-${name}`];
  const id = h('id');
  const sig = h('signature');
  if (!id || !sig) return fail('standard', 'signature', 'Missing signature: the webhook-id and webhook-signature headers are required');
  const ts = h('timestamp');
  const bad = checkTimestamp('standard', ts, 'the webhook-timestamp header', v.tolerance ?? DEFAULT_TOLERANCE_SEC, nowSec);
  if (bad) return bad;
  const signed = Buffer.concat([Buffer.from(`${id}.${ts!.trim()}.`, 'utf8'), req.body]);
  const asymmetric = isEd25519PublicKey(v.secret);
  const expected = asymmetric ? undefined : createHmac('sha256', standardKey(v.secret)).update(signed).digest();
  const matched = sig
    .split(' ')
    .filter(Boolean)
    .some((entry) => {
      const [version, b64] = entry.split(',', 2);
      if (!b64) return false;
      return asymmetric ? version === 'v1a' && ed25519Verifies(v.secret, signed, b64) : version === 'v1' && digestMatches(expected!, b64, 'base64');
    });
  if (!matched) {
    return fail('standard', 'signature', asymmetric ? 'No v1a signature in webhook-signature matches (check the whpk_ public key)' : 'No v1 signature in webhook-signature matches (check the whsec_ secret)');
  }
  return { ok: true, type: 'standard' };
}
