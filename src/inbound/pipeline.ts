/**
 * The inbound pipeline (SPEC §5b), after the route found the source and read the body
 * within its limit: preflight → rate limit → verify → dedupe → store → action → answer.
 * Nothing refused (401/403/413/429) reaches the action: it is kept as `refused` with the
 * reason (routes.ts); everything accepted is stored before it is acknowledged.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { flattenHeaders } from '../core/headers.js';
import { readPath } from '../core/matching.js';
import type { DedupeRule, Source, StoredRequest } from '../store/sources.js';
import type { InboundRequest } from './actions.js';
import { naturalDedupe, verifyRequest } from './verify.js';
import { RateLimiter, corsFor, preflightHeaders } from './limits.js';
import { nestsDeeperThan } from '../core/json-depth.js';

export class InboundPipeline {
  readonly limiter = new RateLimiter();
  constructor(private readonly ctx: AppContext) {}

  async handle(req: FastifyRequest, reply: FastifyReply, source: Source): Promise<FastifyReply> {
    const now = Date.now();
    const headers = flattenHeaders(req.headers);
    if (req.method === 'OPTIONS') return this.preflight(reply, source, headers);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // The route's stream limit already stopped larger bodies; this covers any other path in.
    if (raw.length > source.bodyLimit) throw tooLarge(source.bodyLimit);

    const query = queryOf(req.url);
    const verdict = verifyRequest(source.verification, { headers, query, body: raw }, Math.floor(now / 1000));
    if (!verdict.ok) {
      if (verdict.type === 'basic') reply.header('WWW-Authenticate', 'Basic realm="hookbridge", charset="UTF-8"');
      throw new AppError('UNAUTHORIZED', `Verification failed (${verdict.type}, ${verdict.check}): ${verdict.message}`, [
        { field: verdict.check, message: verdict.message },
      ]);
    }

    // Rate-limited after verification: unsigned junk must not use up the real sender's budget.
    if (source.rateLimit) {
      const wait = this.limiter.take(source.id, source.rateLimit, now);
      if (wait > 0) {
        reply.header('Retry-After', String(wait));
        throw new AppError('RATE_LIMITED', `Too many requests to this source (limit ${source.rateLimit.requests} per ${source.rateLimit.perSeconds} s); retry in ${wait} s`);
      }
    }

    const json = parseBodyJson(raw, headers['content-type']);
    const dedupeKey = dedupeKeyOf(effectiveDedupe(source), headers, json);
    const repo = this.ctx.repos.sources;
    let stored: StoredRequest | undefined;
    if (dedupeKey) {
      const first = await repo.findRequestByDedupe(source.id, dedupeKey);
      // A failed first attempt runs again (the sender retried because we failed it);
      // anything else is a duplicate and the action does not run.
      if (first && !(first.status === 'failed' && (await repo.retakeFailed(first.id)))) return duplicate(reply, first.id);
      stored = first;
    }
    if (!stored) {
      const body = storedBody(raw);
      try {
        stored = await repo.insertRequest({
          sourceId: source.id,
          projectId: source.projectId,
          method: req.method,
          url: redactUrl(req.url, source),
          headers: redactHeaders(headers, source),
          body: body.text,
          bodyEncoding: body.encoding,
          verification: verdict,
          dedupeKey,
          receivedAt: now,
        });
      } catch (err) {
        // Two deliveries with the same id at once: the unique index lets one in.
        if (dedupeKey && repo.isUniqueViolation(err)) {
          const first = await repo.findRequestByDedupe(source.id, dedupeKey);
          if (first) return duplicate(reply, first.id);
        }
        throw err;
      }
    }
    const inbound: InboundRequest = {
      id: stored.id,
      sourceId: source.id,
      projectId: source.projectId,
      method: req.method,
      url: req.url,
      query,
      headers,
      raw,
      json,
      receivedAt: now,
    };
    return this.runAction(req, reply, source, inbound);
  }

  /** Keeps a refused request with the reason; never throws (the refusal is answered either way). */
  async recordRefusal(req: FastifyRequest, source: Source, err: AppError): Promise<void> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const body = storedBody(raw);
    try {
      await this.ctx.repos.sources.insertRefused(
        {
          sourceId: source.id,
          projectId: source.projectId,
          method: req.method,
          url: redactUrl(req.url, source),
          headers: redactHeaders(flattenHeaders(req.headers), source),
          body: body.text,
          bodyEncoding: body.encoding,
          verification: { ok: err.status !== 401, status: err.status },
          receivedAt: Date.now(),
        },
        `${err.status}: ${err.message}`,
      );
    } catch (recordErr) {
      req.log.error({ err: recordErr, source_id: source.id }, 'a refused inbound request could not be recorded');
    }
    req.log.info({ source_id: source.id, status: err.status, reason: err.message }, 'inbound request refused');
  }

  private async runAction(req: FastifyRequest, reply: FastifyReply, source: Source, inbound: InboundRequest): Promise<FastifyReply> {
    const repo = this.ctx.repos.sources;
    const handler = this.ctx.actions.get(source.action.type)?.handle;
    try {
      if (!handler) throw new AppError('SERVICE_UNAVAILABLE', `The ${source.action.type} action is not available on this server`);
      const out = await handler(this.ctx, source.action, inbound);
      const status = out.answer?.status ?? 202;
      // An action that answers 5xx failed: a retry of the same delivery id runs it again.
      await repo.finishRequest(inbound.id, {
        status: status >= 500 ? 'failed' : 'processed',
        result: { status, result: out.result ?? null },
        error: status >= 500 ? `the action answered ${status}` : null,
      });
      if (!out.answer) return reply.status(202).send({ success: true, data: { id: inbound.id, received: true } });
      if (out.answer.headers) reply.headers(out.answer.headers);
      return reply.status(status).send(out.answer.body);
    } catch (err) {
      const status = err instanceof AppError ? err.status : 500;
      if (!(err instanceof AppError)) req.log.error({ err, sourceId: source.id, requestId: inbound.id }, 'inbound action failed');
      try {
        await repo.finishRequest(inbound.id, { status: 'failed', result: { status, result: null }, error: (err as Error).message });
      } catch (recordErr) {
        req.log.error({ err: recordErr, requestId: inbound.id }, 'could not record the failed inbound action');
      }
      throw err;
    }
  }

  private preflight(reply: FastifyReply, source: Source, headers: Record<string, string>): FastifyReply {
    const cors = corsFor(source.allowedOrigins, headers.origin);
    if (cors.kind !== 'allowed') return reply.status(204).send();
    return reply.status(204).headers(preflightHeaders(cors.headers, headers['access-control-request-headers'])).send();
  }
}

const duplicate = (reply: FastifyReply, firstId: string) => reply.status(200).send({ success: true, data: { id: firstId, received: true, duplicate: true } });

export const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `The body is larger than this source accepts (${limit} bytes)`, [{ field: 'body', message: `at most ${limit} bytes` }]);

function queryOf(url: string): Record<string, string> {
  const q = url.indexOf('?');
  return q < 0 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
}

// ignoreBOM: a leading byte order mark is kept, so the stored copy is the bytes that were signed.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 text when it is (and holds no NUL, which PostgreSQL text refuses), else base64. */
function storedBody(raw: Buffer): { text: string; encoding: 'utf8' | 'base64' } {
  try {
    const text = utf8.decode(raw);
    if (!text.includes('\0')) return { text, encoding: 'utf8' };
  } catch {
    // not UTF-8: fall through to base64
  }
  return { text: raw.toString('base64'), encoding: 'base64' };
}

/**
 * The body as JSON when it is JSON, whatever the Content-Type says (senders often
 * mislabel it); a form body's `payload` field (GitHub's form mode) counts too.
 * `__proto__` keys are dropped so an action merging the body cannot change a prototype.
 * JSON nested more than MAX_JSON_DEPTH levels deep counts as not JSON; a leading BOM is skipped.
 */
export function parseBodyJson(raw: Buffer, contentType: string | undefined): unknown {
  // A leading byte order mark is not part of the JSON (RFC 8259 §8.1 lets a parser ignore it);
  // the signature was checked over the bytes as sent, BOM included.
  let text = raw.toString('utf8').replace(/^\ufeff/, '');
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? '')) text = new URLSearchParams(text).get('payload') ?? '';
  if (!text.trim()) return undefined;
  // Too deep to store as an event (see json-depth.ts): not usable as JSON, like a body that does not parse.
  if (nestsDeeperThan(text)) return undefined;
  try {
    return text.includes('__proto__') ? JSON.parse(text, (k, v) => (k === '__proto__' ? undefined : v)) : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function effectiveDedupe(source: Source): DedupeRule {
  if (source.dedupe === false) return null;
  return source.dedupe ?? naturalDedupe(source.verification);
}

function dedupeKeyOf(rule: DedupeRule, headers: Record<string, string>, json: unknown): string | null {
  if (!rule) return null;
  let value: unknown;
  if ('header' in rule) value = headers[rule.header.toLowerCase()];
  else value = readPath(json, rule.jsonPath.split('.'));
  if ((typeof value !== 'string' && typeof value !== 'number') || value === '') return null;
  const key = String(value);
  // The column holds 500 characters; an id longer than that is unusual enough to hash, and
  // so is one with a NUL (no PostgreSQL text holds it; hashed, both databases dedupe alike).
  return key.length <= 200 && !key.includes('\u0000') ? key : `sha256:${createHashHex(key)}`;
}

const createHashHex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Credentials never reach the stored copy: the token header/query and Authorization are masked. */
function redactHeaders(headers: Record<string, string>, source: Source): Record<string, string> {
  const out = { ...headers };
  const secretHeaders = ['authorization', 'cookie', 'proxy-authorization'];
  if (source.verification.type === 'token' && source.verification.header) secretHeaders.push(source.verification.header.toLowerCase());
  for (const h of secretHeaders) if (out[h] !== undefined) out[h] = '[redacted]';
  return out;
}

function redactUrl(url: string, source: Source): string {
  if (source.verification.type !== 'token' || source.verification.header) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  // Each pair's name decoded as queryOf decodes it: `%74oken=` is the token as much as `token=`.
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => (new URLSearchParams(pair).has('token') ? `${pair.split('=')[0]}=[redacted]` : pair));
  return `${url.slice(0, q + 1)}${pairs.join('&')}`;
}

/** CORS headers for the answer (errors included, so a browser can read the message); throws 403 for a refused origin. */
export function applyCors(reply: FastifyReply, source: Source, origin: string | undefined): void {
  const cors = corsFor(source.allowedOrigins, origin);
  reply.headers(cors.headers);
  if (cors.kind === 'refused') throw new AppError('FORBIDDEN', `Origin ${cors.origin} is not allowed to call this source`);
}
