/** The one place where errors become HTTP answers with the seed 001 envelope. */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type ErrorDetail } from '../errors.js';
import { isUniqueViolation } from '../store/query.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  UNSUPPORTED_MEDIA_TYPE: 'Send the body as JSON with Content-Type: application/json',
  PAYLOAD_TOO_LARGE: 'The request body is larger than this server accepts',
};

/** PostgreSQL refusing a value (NUL in text, bad encoding, too long, out of range, not a number): the input's fault. */
const PG_BAD_INPUT: Record<string, string> = {
  '22021': ' (NUL characters are not allowed in text)',
  '22P05': ' (NUL characters are not allowed in text)',
  '22001': '',
  '22003': '',
  '22P02': '',
};

export function toAppError(err: FastifyError): AppError {
  if (err instanceof AppError) return err;
  const pgCode = (err as { code?: string }).code ?? '';
  if (Object.hasOwn(PG_BAD_INPUT, pgCode)) {
    return new AppError('VALIDATION_ERROR', `A value cannot be stored: ${err.message}${PG_BAD_INPUT[pgCode]}`, [], { status: 400 });
  }
  // A row a concurrent request stored first (the routes' own checks came before it).
  if (isUniqueViolation(err)) return new AppError('CONFLICT', 'That already exists: another request stored it at the same moment', [], { status: 409 });
  if (err.validation) {
    const where = err.validationContext ?? 'body';
    const details = validationDetails(err.validation as AjvError[], where);
    const first = details[0];
    const message = `Invalid ${where}: ${first ? `${first.field} ${first.message}` : 'validation failed'}`;
    // Well-formed JSON that breaks the rules is 422; a bad query string or path is 400.
    return new AppError('VALIDATION_ERROR', message, details, { status: where === 'body' ? 422 : 400 });
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return new AppError(mapped, MESSAGES[mapped] ?? err.message, [], { status: err.statusCode });
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const code: ErrorCode = err.statusCode === 404 ? 'NOT_FOUND' : err.statusCode === 429 ? 'RATE_LIMITED' : 'VALIDATION_ERROR';
    return new AppError(code, err.message, [], { status: err.statusCode });
  }
  return new AppError('INTERNAL_ERROR', 'Internal server error', [], { cause: err });
}

/** What Ajv reports; `parentSchema` and `data` are there for bodies (validated `verbose`). */
interface AjvError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { properties?: Record<string, { readOnly?: boolean }> };
  data?: unknown;
}

/** Keywords of a union branch that is one allowed value or type (`Type.Literal`, `Type.Null()`, …). */
const ALTERNATIVE = new Set(['const', 'enum', 'type']);

const fieldOf = (e: AjvError, where: string, child?: string) =>
  `${e.instancePath}${child ? `/${child}` : ''}`.replace(/^\//, '').replace(/\//g, '.') || where;

const shown = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function alternatives(e: AjvError): string[] {
  if (e.keyword === 'const') return [shown(e.params.allowedValue)];
  if (e.keyword === 'enum') return (e.params.allowedValues as unknown[]).map(shown);
  return [([] as unknown[]).concat(e.params.type).join(' or ')];
}

const oneOf = (allowed: string[], e: AjvError) =>
  `must be one of: ${[...new Set(allowed)].join(', ')}${'data' in e ? ` (got ${shown(e.data)})` : ''}`;

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** `retry_policy` → retryPolicy, `timeout_ms` → timeout: the known field a typo most likely meant. */
function nearest(name: string, known: string[]): string | undefined {
  const n = squash(name);
  return known.find((k) => squash(k) === n) ?? known.find((k) => k.length >= 4 && (n.startsWith(squash(k)) || squash(k).startsWith(n)));
}

/**
 * Ajv's errors as one detail per problem: an unknown field names the field and what was
 * probably meant; a value outside a union of literals (`signature: "hmac"`) is one
 * detail listing the allowed values, not one "must be equal to constant" per branch, and
 * a value no branch of another union takes is one detail naming what each wanted.
 */
function validationDetails(errors: AjvError[], where: string): ErrorDetail[] {
  const consumed = new Set<AjvError>();
  const collapsed = new Map<AjvError, ErrorDetail>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const branches = errors.filter((b) => b !== e && b.schemaPath.startsWith(`${e.schemaPath}/`));
    if (!branches.length || !branches.every((b) => b.instancePath === e.instancePath)) continue;
    branches.forEach((b) => consumed.add(b));
    // Every branch refused the value itself (`"abc"` for a digits string or an integer): one
    // detail saying what each would have taken.
    const message = branches.every((b) => ALTERNATIVE.has(b.keyword))
      ? oneOf(branches.flatMap(alternatives), e)
      : `${[...new Set(branches.map((b) => b.message ?? 'is invalid'))].join(', or ')}${'data' in e ? ` (got ${shown(e.data)})` : ''}`;
    collapsed.set(e, { field: fieldOf(e, where), message });
  }
  const details: ErrorDetail[] = [];
  for (const e of errors) {
    if (consumed.has(e)) continue;
    const done = collapsed.get(e);
    if (done) details.push(done);
    else if (e.keyword === 'additionalProperties') {
      const name = String(e.params.additionalProperty);
      const known = Object.entries(e.parentSchema?.properties ?? {})
        .filter(([, sub]) => sub.readOnly !== true)
        .map(([k]) => k);
      const near = nearest(name, known);
      const hint = near ? `; did you mean ${near}?` : known.length ? `; known fields: ${known.join(', ')}` : '';
      details.push({ field: fieldOf(e, where, name), message: `is not a known field${hint}` });
    } else if (e.keyword === 'enum') {
      details.push({ field: fieldOf(e, where), message: oneOf(alternatives(e), e) });
    } else {
      const missing = (e.params as { missingProperty?: string }).missingProperty;
      details.push({ field: fieldOf(e, where, missing), message: e.message ?? 'is invalid' });
    }
  }
  return details;
}

/**
 * Errors the router raises before any route runs (a malformed URL, a path parameter
 * longer than `maxParamLength`): Fastify answers them outside the error handler, so
 * they get the envelope here (pass as the `frameworkErrors` option).
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'The URL is not valid (check its percent-encoding)'
        : err.message;
  void reply.status(status).send({ success: false, error: { code: 'VALIDATION_ERROR', message, details: [] } });
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers or a request
 * line over the 16 KiB limit, a malformed request, a client too slow to send its
 * headers): the envelope too, instead of Fastify's own error shape (pass as the
 * `clientErrorHandler` option). Otherwise the same as Fastify's default handler.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request line and headers are larger than this server accepts (16 KiB): shorten the URL or the headers']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive']
        : [400, 'The request is not valid HTTP'];
  const body = JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR', message, details: [] } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    // The file server (@fastify/static, the API docs' /docs/static/*) refuses a path that
    // climbs out of its folder (`..`, `%2e%2e`) with a bare 403; our own refusals are all
    // AppError('FORBIDDEN'). No file is served at such a path: answer as for any missing file.
    if (err.statusCode === 403 && !(err instanceof AppError)) return reply.callNotFound();
    const e = toAppError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code: e.code, msg: e.message }, 'request rejected');
    void reply.status(e.status).send({ success: false, error: { code: e.code, message: e.message, details: e.details } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      success: false,
      error: { code: 'NOT_FOUND', message: `Route ${req.method} ${req.url.split('?')[0]} not found`, details: [] },
    });
  });
}
