// Signature schemes for outbound deliveries (SPEC §4.2). Pure: no clock, no I/O —
// the caller passes the timestamp and the exact body bytes it will send.
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as edSign, verify as edVerify, timingSafeEqual, type KeyObject } from 'node:crypto';

export type SignatureScheme = 'hmac-sha256' | 'standard' | 'body' | 'none';

export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ['hmac-sha256', 'standard', 'body', 'none'];

export interface SignOptions {
  scheme: SignatureScheme;
  /** Current secret first, then the previous one while a rotation grace period runs. */
  secrets: string[];
  /** Exact bytes that will be sent. Never re-serialise between signing and sending. */
  body: string;
  /** Delivery id: stays the same across retries so receivers can deduplicate. */
  msgId: string;
  /** Unix seconds of this attempt (signed by `standard`, so it changes per attempt). */
  timestampSec: number;
  /** Header prefix, e.g. `Hookbridge` or `Katya` → `X-Katya-Signature`. */
  prefix: string;
}

const STANDARD_PREFIX = 'whsec_';

function hmacHex(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest('hex');
}

/**
 * Standard Webhooks key bytes. Mirrors what the `standardwebhooks`/`svix` libraries do
 * (strip an optional `whsec_`, base64-decode the rest) so whatever secret a webhook
 * holds, we sign with the same key those verifiers derive. Creation-time validation
 * should still insist on `isStandardSecret` for the `standard` scheme.
 */
export function standardKey(secret: string): Buffer {
  const b64 = secret.startsWith(STANDARD_PREFIX) ? secret.slice(STANDARD_PREFIX.length) : secret;
  return Buffer.from(b64, 'base64');
}

/** Base64 `v1` signature body for Standard Webhooks: HMAC over `id.timestamp.body`. */
export function standardSignature(secret: string, msgId: string, timestampSec: number, body: string): string {
  return createHmac('sha256', standardKey(secret))
    .update(`${msgId}.${timestampSec}.${body}`, 'utf8')
    .digest('base64');
}

// ---- Standard Webhooks asymmetric keys (ed25519): `whsk_` secret, `whpk_` public, `v1a,` signatures ----

const ED_SECRET_PREFIX = 'whsk_';
const ED_PUBLIC_PREFIX = 'whpk_';
// DER wrappers of a raw 32-byte ed25519 seed (PKCS#8) and public key (SPKI).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** `whsk_` + base64 of the 32-byte seed, or of seed‖public key (64 bytes, libsodium's form). */
export function isEd25519Secret(secret: string): boolean {
  const bytes = prefixedBytes(secret, ED_SECRET_PREFIX);
  return bytes?.length === 32 || bytes?.length === 64;
}

/** Key objects built once per key string (parsing DER costs more than signing); emptied past 1000 keys. */
function keyObject(cache: Map<string, KeyObject>, key: string, build: () => KeyObject): KeyObject {
  let k = cache.get(key);
  if (!k) {
    if (cache.size > 1000) cache.clear();
    cache.set(key, (k = build()));
  }
  return k;
}

const edKeys = new Map<string, KeyObject>();
const edPrivateKey = (secret: string): KeyObject =>
  keyObject(edKeys, secret, () => {
    const seed = Buffer.from(secret.slice(ED_SECRET_PREFIX.length), 'base64').subarray(0, 32);
    return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  });

/** The `whpk_` public key a receiver verifies `v1a` signatures with. */
export function ed25519PublicKey(secret: string): string {
  const spki = createPublicKey(edPrivateKey(secret)).export({ format: 'der', type: 'spki' });
  return ED_PUBLIC_PREFIX + spki.subarray(SPKI_ED25519.length).toString('base64');
}

/** A new ed25519 signing key in Standard Webhooks form (`whsk_` + base64 of seed‖public key). */
export function generateEd25519Secret(): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  return ED_SECRET_PREFIX + Buffer.concat([seed, pub]).toString('base64');
}

/** `whpk_` + base64 of a 32-byte ed25519 public key (what `ed25519PublicKey` gives). */
export function isEd25519PublicKey(key: string): boolean {
  return prefixedBytes(key, ED_PUBLIC_PREFIX)?.length === 32;
}

const edPublicKeys = new Map<string, KeyObject>();
/** Whether `signatureB64` is `publicKey`'s (`whpk_…`) ed25519 signature of `data`. */
export function ed25519Verifies(publicKey: string, data: Buffer, signatureB64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
  const sig = Buffer.from(signatureB64, 'base64');
  if (sig.length !== 64) return false;
  const key = keyObject(edPublicKeys, publicKey, () =>
    createPublicKey({ key: Buffer.concat([SPKI_ED25519, Buffer.from(publicKey.slice(ED_PUBLIC_PREFIX.length), 'base64')]), format: 'der', type: 'spki' }),
  );
  return edVerify(null, data, key, sig);
}

/** Base64 `v1a` signature: ed25519 over `id.timestamp.body`. */
export function ed25519Signature(secret: string, msgId: string, timestampSec: number, body: string): string {
  return edSign(null, Buffer.from(`${msgId}.${timestampSec}.${body}`, 'utf8'), edPrivateKey(secret)).toString('base64');
}

/** Drop empty and duplicate secrets while keeping order (current first). */
function distinct(secrets: string[]): string[] {
  return [...new Set(secrets.filter((s) => s.length > 0))];
}

/**
 * Signature headers for one attempt. Returns only the signature-related headers;
 * the sender adds Content-Type, User-Agent, X-{P}-Event/-Delivery/-Timestamp.
 */
export function signHeaders(opts: SignOptions): Record<string, string> {
  const { scheme, body, msgId, timestampSec, prefix } = opts;
  if (scheme === 'none' || scheme === 'body') return {}; // `body` signs inside the payload (bodySchemeWrap)
  const secrets = distinct(opts.secrets);
  if (secrets.length === 0) throw new Error(`signature scheme ${scheme} needs a secret`);
  if (!/^[A-Za-z0-9-]+$/.test(prefix)) throw new Error(`invalid header prefix: ${JSON.stringify(prefix)}`);

  if (scheme === 'hmac-sha256') {
    // Old secret(s) FIRST: seed 001's sample verifier does `signature.replace("sha256=", "")`
    // and `Buffer.from(…, "hex")`, which stops at the first non-hex char (the comma), so it
    // reads only the first value. Receivers still on the old secret keep working; ones that
    // switched early must split on commas (documented in the receiver docs).
    const ordered = [...secrets.slice(1), secrets[0]];
    const value = ordered.map((s) => `sha256=${hmacHex(s, body)}`).join(',');
    return { [`X-${prefix}-Signature`]: value };
  }

  if (scheme === 'standard') {
    if (!Number.isSafeInteger(timestampSec)) throw new Error('timestampSec must be an integer (unix seconds)');
    // Space-separated list; verifiers accept if any entry matches, so order is free.
    const value = secrets
      .map((s) => (isEd25519Secret(s) ? `v1a,${ed25519Signature(s, msgId, timestampSec, body)}` : `v1,${standardSignature(s, msgId, timestampSec, body)}`))
      .join(' ');
    return {
      'webhook-id': msgId,
      'webhook-timestamp': String(timestampSec),
      'webhook-signature': value,
    };
  }

  const unknown: never = scheme;
  throw new Error(`unknown signature scheme: ${String(unknown)}`);
}

/**
 * livedigital (seed 002) body scheme: the POSTed JSON is `{signature, body}` where
 * signature = hex HMAC-SHA256(secret, JSON.stringify(body)). It carries ONE signature,
 * so during a rotation the caller picks which secret to sign with.
 * Hazard: `body` must be JSON-round-trippable (no undefined/functions/BigInt), or the
 * receiver's `JSON.stringify(parsed.body)` will not reproduce the signed string.
 */
export function bodySchemeWrap(secret: string, body: unknown): string {
  const inner = JSON.stringify(body);
  if (inner === undefined) throw new Error('body scheme payload is not JSON-serialisable');
  const signature = hmacHex(secret, inner);
  // Built by hand so the embedded bytes are exactly the ones that were signed.
  return `{"signature":${JSON.stringify(signature)},"body":${inner}}`;
}

/**
 * Equal-time comparison of two secrets, tokens or digests of any length: both are hashed
 * first, so neither their contents nor their lengths show in the time it takes.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const digest = (v: string | Buffer) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** New secret in Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return STANDARD_PREFIX + randomBytes(32).toString('base64');
}

/** True for `whsec_` + canonical (padded) base64 that decodes to at least 16 bytes. */
export function isStandardSecret(secret: string): boolean {
  return (prefixedBytes(secret, STANDARD_PREFIX)?.length ?? 0) >= 16;
}

/**
 * The bytes after `prefix` when `s` is `prefix` + canonical base64 (the key forms
 * `whsec_`, `whsk_`, `whpk_`); undefined otherwise. The round trip rejects non-canonical
 * encodings Node would silently accept.
 */
function prefixedBytes(s: string, prefix: string): Buffer | undefined {
  if (!s.startsWith(prefix)) return undefined;
  const b64 = s.slice(prefix.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  return bytes.toString('base64') === b64 ? bytes : undefined;
}

/** Length bounds of a webhook secret (the API's schema and `send-test` use the same). */
export const SECRET_MIN_LENGTH = 8;
export const SECRET_MAX_LENGTH = 512;

/**
 * Why `secret` cannot sign with `scheme`, or undefined when it can: the rule the API
 * applies to a webhook's secret, shared with `hookbridge send-test`.
 */
export function secretProblem(scheme: SignatureScheme, secret: string): string | undefined {
  if (secret.length < SECRET_MIN_LENGTH || secret.length > SECRET_MAX_LENGTH) {
    return `a secret is ${SECRET_MIN_LENGTH} to ${SECRET_MAX_LENGTH} characters long`;
  }
  if (scheme === 'standard' && !isStandardSecret(secret) && !isEd25519Secret(secret)) {
    return 'the standard scheme needs a secret of the form whsec_<base64 of 16+ bytes> (HMAC) or whsk_<base64 of an ed25519 key> (asymmetric)';
  }
  if (scheme !== 'standard' && isEd25519Secret(secret)) return 'an ed25519 key (whsk_…) signs only with the standard scheme';
  return undefined;
}
