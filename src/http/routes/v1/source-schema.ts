/** The inbound source body schema, its checks (422/409) and the API views (SPEC §5b). */
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../../../context.js';
import { AppError, invalid, type ErrorDetail } from '../../../errors.js';
import { randomAlnum } from '../../../ids.js';
import { isEd25519PublicKey, isStandardSecret } from '../../../core/signing.js';
import { maskSecret } from '../../../core/secretbox.js';
import { HEADER_NAME } from '../../../core/headers.js';
import type { Source, SourceInput, StoredRequest, Verification } from '../../../store/sources.js';
import { DEFAULT_SOURCE_BODY_LIMIT, MAX_SOURCE_BODY_LIMIT, WEBHOOK_PREFIX, pathCandidates, sourceUrlPath } from '../../../inbound/routes.js';
import { DateTime, Nullable, component, iso, readOnly } from '../../schemas.js';

const VERIFICATION_TYPES = ['none', 'token', 'basic', 'hmac', 'github', 'stripe', 'standard', 'hookbridge'] as const;
const HEADER_PATTERN = HEADER_NAME.source;
const Secret = Type.String({ minLength: 1, maxLength: 1024 });

/** One flat object for every mode: which fields a mode needs is checked in `checkVerification`, with a message per field. */
const VerificationSchema = Type.Object(
  {
    type: Type.Union(VERIFICATION_TYPES.map((t) => Type.Literal(t))),
    token: Type.Optional(Type.String({ minLength: 8, maxLength: 512, description: 'token: generated when absent' })),
    header: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: HEADER_PATTERN, description: 'token: header carrying it (default: ?token=); hmac: signature header' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    password: Type.Optional(Secret),
    algorithm: Type.Optional(Type.Union([Type.Literal('sha256'), Type.Literal('sha1'), Type.Literal('sha512')], { description: 'hmac. Default: sha256' })),
    encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')], { description: 'hmac. Default: hex' })),
    prefix: Type.Optional(Type.String({ maxLength: 100, description: 'hmac: text before the digest (sha256=); hookbridge: the sender\'s header prefix (default Hookbridge)' })),
    secret: Type.Optional(Secret),
    timestampHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: HEADER_PATTERN })),
    tolerance: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'Seconds a signed timestamp may be off. Default: 300' })),
    payload: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'hmac: signed content template, {body} and {timestamp}. Default: {body}' })),
  },
  { description: 'How requests are verified; secrets are masked on read' },
);
type VerificationBody = Static<typeof VerificationSchema>;

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  path: Type.String({ minLength: 1, maxLength: 300, description: 'Mounted at /webhook/{path}; or an absolute path under /webhook/' }),
  verification: VerificationSchema,
  action: Type.Object({ type: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: true, description: '{type: "publish", eventType} or an app\'s action' }),
  allowedOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 50, description: 'CORS: origins allowed to call from a browser, or ["*"]. Default: []' }),
  rateLimit: Type.Union([Type.Object({ requests: Type.Integer({ minimum: 1, maximum: 1_000_000 }), perSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }) }), Type.Null()]),
  dedupe: Type.Union(
    [
      Type.Object({ header: Type.String({ minLength: 1, maxLength: 200, pattern: HEADER_PATTERN }) }),
      Type.Object({ jsonPath: Type.String({ minLength: 1, maxLength: 200 }) }),
      Type.Literal(false),
      Type.Null(),
    ],
    { description: 'Delivery id to deduplicate by; null: the preset\'s own (X-GitHub-Delivery, webhook-id, …); false: off' },
  ),
  bodyLimit: Type.Integer({ minimum: 1, maximum: MAX_SOURCE_BODY_LIMIT, description: `bytes. Default: ${DEFAULT_SOURCE_BODY_LIMIT}` }),
  active: Type.Boolean(),
};

const { path, action, ...optional } = fields;
export const CreateSource = Type.Composite([Type.Object({ path, action }), Type.Partial(Type.Object(optional))]);
export type CreateSource = Static<typeof CreateSource>;
export const UpdateSource = Type.Partial(Type.Object({ ...fields, ...readOnly('id', 'url', 'createdAt', 'updatedAt') }));
export type UpdateSource = Static<typeof UpdateSource>;

const SECRET_FIELDS = ['token', 'password', 'secret'] as const;
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** Body → repository input with defaults and every check (throws 422 or 409). */
export async function sourceInput(ctx: AppContext, projectId: string, body: CreateSource): Promise<SourceInput> {
  const input: SourceInput = {
    name: body.name ?? body.path,
    path: body.path,
    verification: checkVerification(body.verification ?? { type: 'none' }),
    action: body.action as SourceInput['action'],
    allowedOrigins: body.allowedOrigins ?? [],
    rateLimit: body.rateLimit ?? null,
    dedupe: body.dedupe ?? null,
    bodyLimit: body.bodyLimit ?? DEFAULT_SOURCE_BODY_LIMIT,
    active: body.active ?? true,
  };
  await checkSource(ctx, projectId, input);
  return input;
}

export async function sourcePatch(ctx: AppContext, existing: Source, body: UpdateSource): Promise<Partial<SourceInput>> {
  const { verification, action, path, ...rest } = body;
  const patch: Partial<SourceInput> = { ...(rest as Partial<SourceInput>) };
  if (verification) patch.verification = checkVerification(verification, existing.verification);
  if (action) patch.action = keepActionSecrets(action as SourceInput['action'], existing.action);
  if (path !== undefined && path !== existing.path) patch.path = path;
  await checkSource(ctx, existing.projectId, patch, existing.id);
  return patch;
}

async function checkSource(ctx: AppContext, projectId: string, s: Partial<SourceInput>, selfId?: string): Promise<void> {
  const details: ErrorDetail[] = [];
  if (s.path !== undefined) details.push(...checkPath(s.path));
  for (const o of s.allowedOrigins ?? []) {
    if (o !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)) {
      details.push({ field: 'allowedOrigins', message: `${JSON.stringify(o)} is not an origin (scheme://host[:port], no path) or *` });
    }
  }
  if (s.dedupe && 'jsonPath' in s.dedupe && s.dedupe.jsonPath.split('.').some((k) => k === '')) {
    details.push({ field: 'dedupe.jsonPath', message: 'use a dotted path such as id or data.delivery_id' });
  }
  if (s.action) {
    const spec = ctx.actions.get(s.action.type);
    if (!spec) {
      const types = [...ctx.actions.keys()];
      details.push({ field: 'action.type', message: `unknown action ${s.action.type}; one of: ${types.join(', ')}`, valid: types });
    } else if (spec.check) {
      details.push(...(await spec.check(ctx, projectId, s.action)));
    }
  }
  if (details.length) throw invalid(details.map((d) => d.message).join('; '), details);
  if (s.path !== undefined) {
    // A built-in app owns its paths: a source there would never be reached.
    const owner = ctx.reservedPaths.get(sourceUrlPath(s.path));
    if (owner) throw new AppError('CONFLICT', `${sourceUrlPath(s.path)} is ${owner}`, [{ field: 'path', message: 'is taken' }]);
    const taken = await ctx.repos.sources.getByPath(pathCandidates(sourceUrlPath(s.path)));
    if (taken && taken.id !== selfId) throw new AppError('CONFLICT', `Another source already uses the path ${sourceUrlPath(s.path)}`, [{ field: 'path', message: 'is taken' }]);
  }
}

function checkPath(p: string): ErrorDetail[] {
  const rel = p.startsWith(WEBHOOK_PREFIX) ? p.slice(WEBHOOK_PREFIX.length) : p;
  if (p.startsWith('/') && rel === p) {
    return [{ field: 'path', message: `absolute paths outside ${WEBHOOK_PREFIX} are reserved for built-in apps; use a path like "github" (served at /webhook/github)` }];
  }
  const segments = rel.split('/');
  if (segments.some((seg) => !SEGMENT.test(seg) || seg === '.' || seg === '..')) {
    return [{ field: 'path', message: 'path segments may use letters, digits and . _ ~ - (for example github or acme/orders)' }];
  }
  return [];
}

/**
 * Keeps only the fields a mode uses and insists on the ones it needs. On update, a
 * secret left out (or sent back masked, as reads show it) keeps the stored one.
 */
export function checkVerification(body: VerificationBody, existing?: Verification): Verification {
  const prev = existing && existing.type === body.type ? (existing as Record<string, unknown>) : {};
  const keep = (f: (typeof SECRET_FIELDS)[number]): string | undefined => {
    const given = body[f];
    const old = prev[f] as string | undefined;
    return given === undefined || (old !== undefined && given === maskSecret(old)) ? old : given;
  };
  const details: ErrorDetail[] = [];
  const need = <T>(field: string, v: T | undefined): T => {
    if (v === undefined || v === '') details.push({ field: `verification.${field}`, message: `verification type ${body.type} needs ${field}` });
    return v as T;
  };
  const tolerance = body.tolerance !== undefined ? { tolerance: body.tolerance } : {};
  let v: Verification;
  switch (body.type) {
    case 'none':
      v = { type: 'none' };
      break;
    case 'token':
      v = { type: 'token', token: keep('token') ?? randomAlnum(32), ...(body.header && { header: body.header }) };
      break;
    case 'basic':
      v = { type: 'basic', username: need('username', body.username ?? (prev.username as string | undefined)), password: need('password', keep('password')) };
      break;
    case 'hmac': {
      const payload = body.payload ?? '{body}';
      if (payload.includes('{timestamp}') && !body.timestampHeader) details.push({ field: 'verification.payload', message: 'a payload with {timestamp} needs timestampHeader' });
      v = {
        type: 'hmac',
        header: need('header', body.header),
        algorithm: body.algorithm ?? 'sha256',
        encoding: body.encoding ?? 'hex',
        prefix: body.prefix ?? '',
        secret: need('secret', keep('secret')),
        ...(body.timestampHeader && { timestampHeader: body.timestampHeader }),
        ...tolerance,
        ...(payload !== '{body}' && { payload }),
      };
      break;
    }
    case 'github':
      v = { type: 'github', secret: need('secret', keep('secret')) };
      break;
    case 'stripe':
      v = { type: 'stripe', secret: need('secret', keep('secret')), ...tolerance };
      break;
    case 'standard': {
      const secret = need<string>('secret', keep('secret'));
      if (secret && !isStandardSecret(secret) && !isEd25519PublicKey(secret)) {
        details.push({ field: 'verification.secret', message: "a Standard Webhooks secret looks like whsec_<base64 of 16+ bytes>, or is the sender's whpk_ public key (ed25519, v1a signatures)" });
      }
      v = { type: 'standard', secret, ...tolerance };
      break;
    }
    case 'hookbridge':
      if (body.prefix !== undefined && !/^[A-Za-z0-9-]{1,50}$/.test(body.prefix)) {
        details.push({ field: 'verification.prefix', message: 'prefix is the sender\'s header prefix, e.g. Hookbridge or Katya' });
      }
      v = { type: 'hookbridge', secret: need('secret', keep('secret')), ...(body.prefix && { prefix: body.prefix }), ...tolerance };
      break;
  }
  if (details.length) throw invalid(details.map((d) => d.message).join('; '), details);
  return v;
}

/** Action settings that are credentials: masked on read, kept when sent back masked. */
const ACTION_SECRET_FIELDS = ['apiKey', 'token', 'secret', 'password'] as const;

function keepActionSecrets(given: SourceInput['action'], old: SourceInput['action']): SourceInput['action'] {
  const out = { ...given };
  for (const f of ACTION_SECRET_FIELDS) {
    const prev = old[f];
    if (typeof prev === 'string' && out[f] === maskSecret(prev)) out[f] = prev;
  }
  return out;
}

function actionView(a: SourceInput['action'], reveal: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  if (!reveal) for (const f of ACTION_SECRET_FIELDS) if (typeof out[f] === 'string') out[f] = maskSecret(out[f] as string);
  return out;
}

/** Verification as reads show it: secrets masked unless `reveal` (create answers them once). */
function verificationView(v: Verification, reveal: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...v };
  if (!reveal) for (const f of SECRET_FIELDS) if (typeof out[f] === 'string') out[f] = maskSecret(out[f] as string);
  return out;
}

const Open = (description: string) => Type.Object({ type: Type.String() }, { additionalProperties: true, description });

export const SourceView = component(
  'Source',
  Type.Object({
    id: Type.String({ description: 'src_…' }),
    name: Type.String(),
    path: Type.String(),
    url: Type.String({ description: 'The URL path it is served at' }),
    verification: Open('The mode and its settings (see the create body); secrets masked except in the create answer'),
    action: Open('{type: "publish", eventType} or an app\'s action; credentials masked except in the create answer'),
    allowedOrigins: Type.Array(Type.String()),
    rateLimit: fields.rateLimit,
    dedupe: fields.dedupe,
    bodyLimit: Type.Integer({ description: 'bytes' }),
    active: Type.Boolean(),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  }),
);

export const InboundRequestView = component(
  'InboundRequest',
  Type.Object({
    id: Type.String(),
    sourceId: Type.String(),
    method: Type.String(),
    url: Type.String({ description: 'Path and query; a ?token= is [redacted]' }),
    headers: Type.Record(Type.String(), Type.String(), { description: 'Authorization, cookies and a token header are [redacted]' }),
    body: Type.String({ description: 'Text, or base64 (see bodyEncoding); a refused request keeps its first 4 KiB' }),
    bodyEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    verification: Type.Object({ ok: Type.Boolean() }, { additionalProperties: true, description: 'What verification found' }),
    dedupeKey: Nullable(Type.String()),
    status: Type.Union(['accepted', 'duplicate', 'processed', 'failed', 'refused'].map((s) => Type.Literal(s))),
    actionResult: Type.Unknown({ description: 'What the action answered' }),
    error: Nullable(Type.String({ description: 'Why it failed or was refused' })),
    receivedAt: DateTime(),
  }),
);

export function sourceView(s: Source, reveal = false) {
  return {
    id: s.id,
    name: s.name,
    path: s.path,
    url: sourceUrlPath(s.path),
    verification: verificationView(s.verification, reveal),
    action: actionView(s.action, reveal),
    allowedOrigins: s.allowedOrigins,
    rateLimit: s.rateLimit,
    dedupe: s.dedupe,
    bodyLimit: s.bodyLimit,
    active: s.active,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

export function requestView(r: StoredRequest) {
  return {
    id: r.id,
    sourceId: r.sourceId,
    method: r.method,
    url: r.url,
    headers: r.headers,
    body: r.body,
    bodyEncoding: r.bodyEncoding,
    verification: r.verification,
    dedupeKey: r.dedupeKey,
    status: r.status,
    actionResult: r.actionResult,
    error: r.error,
    receivedAt: iso(r.receivedAt),
  };
}
