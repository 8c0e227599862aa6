/** The webhook body schema (written once: validation, types and OpenAPI) and its checks. */
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../../context.js';
import { webhookDefaults, type Webhook, type WebhookInput } from '../../../store/webhooks.js';
import { invalid, type ErrorDetail } from '../../../errors.js';
import { unknownPatterns } from '../../../core/matching.js';
import { DEFAULT_RETRY_POLICY as RETRY, type RetryPolicy } from '../../../core/retry.js';
import { SECRET_MAX_LENGTH, SECRET_MIN_LENGTH, SIGNATURE_SCHEMES, ed25519PublicKey, generateEd25519Secret, generateSecret, isEd25519Secret, secretProblem } from '../../../core/signing.js';
import { maskSecret } from '../../../core/secretbox.js';
import { checkUrlTarget } from '../../../delivery/ssrf.js';
import { validateTemplate } from '../../../core/templates.js';
import { HEADER_NAME, HEADER_VALUE_RULE, RESERVED_HEADERS, isHeaderName, isHeaderValue, reservedHeaderMessage } from '../../../core/headers.js';
import { DateTime, Nullable, checkedInCode, component, iso, readOnly, ref } from '../../schemas.js';
import { RequestTemplate } from './template-schema.js';

export const RetryPolicySchema = Type.Object({
  maxRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, description: `Retries after the first attempt. Default: ${RETRY.maxRetries}` })),
  retryDelay: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000, description: `ms before the first retry. Default: ${RETRY.retryDelay}` })),
  backoffMultiplier: Type.Optional(Type.Number({ minimum: 1, maximum: 10, description: `Default: ${RETRY.backoffMultiplier}` })),
  maxRetryDelay: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400_000, description: `ms cap on one delay. Default: ${RETRY.maxRetryDelay}` })),
});

// A pattern on a Record key only becomes `patternProperties`: names that do not match
// would pass unchecked, so checkWebhook verifies every name (and value) explicitly.
const HeaderMap = Type.Record(Type.String({ pattern: HEADER_NAME.source }), Type.String({ maxLength: 4096 }), {
  maxProperties: 50,
});

const DEFAULTS = webhookDefaults();

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 2000 }),
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) endpoint' }),
  events: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    minItems: 1,
    maxItems: 500,
    description: 'Catalog names, category wildcards (message.*) or *',
  }),
  secret: Type.String({ minLength: SECRET_MIN_LENGTH, maxLength: SECRET_MAX_LENGTH, description: 'Generated as whsec_… when absent' }),
  active: Type.Boolean(),
  retryPolicy: RetryPolicySchema,
  signature: Type.Union(SIGNATURE_SCHEMES.map((s) => Type.Literal(s)), { description: 'Default: hmac-sha256' }),
  headers: HeaderMap,
  timeout: Type.Integer({ minimum: 100, maximum: 120_000, description: `ms. Default: ${DEFAULTS.timeout}` }),
  rateLimit: Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()], { description: 'requests/s' }),
  maxConcurrency: Type.Integer({ minimum: 1, maximum: 1000, description: `Requests in flight to the endpoint at once, from all workers together. Default: ${DEFAULTS.maxConcurrency}` }),
  ordering: Type.Union([Type.Literal('parallel'), Type.Literal('fifo')], {
    description: 'parallel (default), or fifo: one delivery at a time in publish order, across all workers; a failing one holds the line until it succeeds or fails for good',
  }),
  spaces: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
  channels: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
  request: checkedInCode(
    Type.Union([ref(RequestTemplate), Type.Null()], { description: 'Request template (seed 003); null removes it' }),
    'validateTemplate (core/templates.ts)',
  ),
  filter: Type.Union([Type.Record(Type.String({ minLength: 1 }), Type.Unknown()), Type.Null()], {
    description: 'Dotted paths into data, compared for equality',
  }),
};

const { url, events, ...optionalFields } = fields;
/** Create only: which kind of secret to generate when none is given. */
const keyType = Type.Union([Type.Literal('hmac'), Type.Literal('ed25519')], {
  description: 'When no secret is given: hmac (default, a whsec_ secret) or ed25519 (a whsk_ key pair for the standard scheme; reads show its whpk_ public key)',
});
export const CreateWebhook = Type.Composite([Type.Object({ url, events }), Type.Partial(Type.Object({ ...optionalFields, keyType }))]);
export type CreateWebhook = Static<typeof CreateWebhook>;

export const UpdateWebhook = Type.Partial(
  Type.Object({ ...fields, ...readOnly('id', 'createdAt', 'lastDelivery', 'disabledReason', 'secretRotation', 'updatedAt', 'keyType', 'publicKey') }),
);
export type UpdateWebhook = Static<typeof UpdateWebhook>;

/** A webhook's own `headers` (also the preview's): names, reserved names and sendable values. */
export function checkHeaders(headers: Record<string, unknown> | undefined): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!isHeaderName(name)) details.push({ field: `headers.${name}`, message: `${JSON.stringify(name)} is not a valid HTTP header name` });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) details.push({ field: `headers.${name}`, message: reservedHeaderMessage(name) });
    if (typeof value !== 'string' || !isHeaderValue(value)) details.push({ field: `headers.${name}`, message: HEADER_VALUE_RULE });
  }
  return details;
}

/** Checks that need the catalog, the network or several fields at once. Throws a 422 listing every problem. */
export async function checkWebhook(ctx: AppContext, projectId: string, w: Partial<WebhookInput>, existing?: Webhook) {
  const details: ErrorDetail[] = [];
  if (w.name !== undefined && !w.name.trim()) details.push({ field: 'name', message: 'name must not be blank' });
  if (w.url !== undefined) {
    const check = await checkUrlTarget(w.url, { allowPrivate: ctx.config.allowPrivateTargets });
    if (!check.ok) details.push({ field: 'url', message: `url must be a public http(s) URL: ${check.reason}` });
  }
  if (w.events !== undefined) {
    const catalog = await ctx.repos.eventTypes.names(projectId);
    // Names the webhook already has stay: their event type may have been deleted since, and
    // what a read returns must go back through PUT as it is. New names must be in the catalog.
    const kept = new Set(existing?.events ?? []);
    const unknown = unknownPatterns(w.events.filter((e) => !kept.has(e)), catalog);
    if (unknown.length) {
      details.push({
        field: 'events',
        message: `unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
        unknown,
        valid: catalog.sort(),
      });
    }
  }
  const policy = w.retryPolicy;
  if (policy && policy.maxRetryDelay < policy.retryDelay) {
    details.push({ field: 'retryPolicy.maxRetryDelay', message: 'maxRetryDelay must be at least retryDelay' });
  }
  details.push(...checkHeaders(w.headers));
  if (w.request !== undefined && w.request !== null) {
    for (const issue of validateTemplate(w.request)) details.push({ ...issue });
  }
  const scheme = w.signature ?? existing?.signature;
  const template = w.request !== undefined ? w.request : existing?.request;
  if (scheme === 'body' && template) {
    details.push({ field: 'signature', message: 'the body scheme wraps the event envelope and cannot be combined with a request template' });
  }
  if (w.secret !== undefined && w.secret.includes('****')) {
    details.push({ field: 'secret', message: 'secret looks masked (as reads show it): send the real secret, or leave secret out to keep it' });
  }
  const secret = w.secret ?? existing?.secret;
  const problem = scheme && secret ? secretProblem(scheme, secret) : undefined;
  if (problem) details.push({ field: 'secret', message: `${problem}; omit secret to have one generated, or rotate it` });
  if (details.length) throw invalid(details.map((d) => d.message).join('; '), details);
}

/** Body → repository input, with defaults for a new webhook. */
export function toInput(body: CreateWebhook): WebhookInput {
  const d = webhookDefaults();
  return {
    // A name of only spaces would leave the webhook without a visible label: the host, as for none.
    name: body.name?.trim() || defaultName(body.url),
    description: body.description ?? d.description,
    url: body.url,
    events: [...new Set(body.events)],
    secret: body.secret ?? (body.keyType === 'ed25519' ? generateEd25519Secret() : generateSecret()),
    active: body.active ?? d.active,
    retryPolicy: mergePolicy(d.retryPolicy, body.retryPolicy),
    signature: body.signature ?? (body.keyType === 'ed25519' ? 'standard' : d.signature),
    headers: body.headers ?? d.headers,
    request: body.request ?? d.request,
    timeout: body.timeout ?? d.timeout,
    rateLimit: body.rateLimit ?? d.rateLimit,
    maxConcurrency: body.maxConcurrency ?? d.maxConcurrency,
    ordering: body.ordering ?? d.ordering,
    spaces: body.spaces ?? d.spaces,
    channels: body.channels ?? d.channels,
    filter: body.filter ?? d.filter,
    spaceId: null,
  };
}

/** The URL's host as the default name; checkWebhook reports a URL that does not parse. */
function defaultName(url: string): string {
  try {
    return new URL(url).host || url.slice(0, 200);
  } catch {
    return url.slice(0, 200);
  }
}

export function toPatch(body: UpdateWebhook, existing: Webhook): Partial<WebhookInput> {
  const { retryPolicy, events, secret, ...given } = body;
  // Only the schema's own fields: an undeclared key (e.g. spaceId) must never reach the store.
  const rest = Object.fromEntries(Object.entries(given).filter(([k]) => k in fields));
  return {
    ...rest,
    // Trimmed as on create (checkWebhook has already refused a blank one).
    ...(given.name !== undefined && { name: given.name.trim() }),
    // The masked secret a read shows, sent back, keeps the stored one.
    ...(secret !== undefined && secret !== maskSecret(existing.secret) && { secret }),
    ...(events && { events: [...new Set(events)] }),
    ...(retryPolicy && { retryPolicy: mergePolicy(existing.retryPolicy, retryPolicy) }),
  } as Partial<WebhookInput>;
}

const mergePolicy = (base: RetryPolicy, patch?: Partial<RetryPolicy>): RetryPolicy => ({ ...base, ...(patch ?? {}) });

const RetryPolicyView = component(
  'RetryPolicy',
  Type.Object({ maxRetries: Type.Integer(), retryDelay: Type.Integer(), backoffMultiplier: Type.Number(), maxRetryDelay: Type.Integer() }, { description: 'Delays in ms' }),
);

export const WebhookView = component(
  'Webhook',
  Type.Object({
    id: Type.String({ description: 'wh_…' }),
    name: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    secret: Type.String({ description: 'Masked (whsec_****abcd) except in the answers of create and rotate-secret' }),
    active: Type.Boolean(),
    createdAt: DateTime(),
    lastDelivery: Nullable(DateTime(), 'When a delivery last succeeded'),
    retryPolicy: ref(RetryPolicyView),
    description: Type.String(),
    signature: fields.signature,
    headers: Type.Record(Type.String(), Type.String()),
    request: Nullable(ref(RequestTemplate)),
    timeout: Type.Integer({ description: 'ms' }),
    rateLimit: Nullable(Type.Integer(), 'requests/s'),
    maxConcurrency: Type.Integer(),
    ordering: fields.ordering,
    spaces: Type.Array(Type.String()),
    channels: Type.Array(Type.String()),
    filter: Nullable(Type.Record(Type.String(), Type.Unknown())),
    disabledReason: Nullable(Type.String(), 'Why Hookbridge turned it off (410 Gone, failing for days)'),
    secretRotation: Nullable(Type.Object({ previousSecretValidUntil: DateTime() }), 'While the previous secret still signs'),
    updatedAt: DateTime(),
    keyType: Type.Union([Type.Literal('hmac'), Type.Literal('ed25519')], { description: 'ed25519: the secret is a whsk_ key and deliveries carry v1a signatures' }),
    publicKey: Nullable(Type.String({ description: 'whpk_…' }), 'What receivers verify v1a signatures with (ed25519 only); not a secret'),
  }),
);

/** The API view: seed 001 fields first, then Hookbridge's. The secret is masked unless `reveal`. */
export function webhookView(w: Webhook, reveal = false): Static<typeof WebhookView> {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    events: w.events,
    secret: reveal ? w.secret : maskSecret(w.secret),
    active: w.active,
    createdAt: iso(w.createdAt),
    lastDelivery: iso(w.lastDeliveryAt),
    retryPolicy: w.retryPolicy,
    description: w.description,
    signature: w.signature,
    headers: w.headers,
    request: w.request as Static<typeof RequestTemplate> | null,
    timeout: w.timeout,
    rateLimit: w.rateLimit,
    maxConcurrency: w.maxConcurrency,
    ordering: w.ordering,
    spaces: w.spaces,
    channels: w.channels,
    filter: w.filter,
    disabledReason: w.disabledReason,
    secretRotation: w.oldSecretExpiresAt ? { previousSecretValidUntil: iso(w.oldSecretExpiresAt) } : null,
    keyType: isEd25519Secret(w.secret) ? ('ed25519' as const) : ('hmac' as const),
    /** What receivers verify `v1a` signatures with (ed25519 only); not a secret. */
    publicKey: isEd25519Secret(w.secret) ? ed25519PublicKey(w.secret) : null,
    updatedAt: iso(w.updatedAt),
  };
}
