/**
 * The one JSON body parser: the API's and the meetings webhook's. An empty body counts as
 * no body (so `POST …/rotate-secret` with a JSON content type and nothing else works);
 * bad JSON is a 400 INVALID_JSON; a JSON body sent as text/plain is read only where the
 * route says so (`config.textJson`), elsewhere it is a 415.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../core/json-depth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accept a JSON body sent as text/plain (seed 002's curl examples, curl users of the meetings webhook). */
    textJson?: boolean;
  }
}

const JSON_TYPES = ['application/json', /^application\/[\w.+-]+\+json$/, 'text/plain'];

function parseJsonBody(req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const text = String(body);
  try {
    if (text.trim() === '') return done(null, undefined);
    if (/^text\/plain\b/i.test(req.headers['content-type'] ?? '') && !req.routeOptions.config?.textJson) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json');
    }
    // Nested deeper than anything a webhook needs: storing it would overflow JSON.stringify.
    if (nestsDeeperThan(text)) {
      throw new AppError('VALIDATION_ERROR', `The JSON body nests arrays/objects more than ${MAX_JSON_DEPTH} levels deep`, [
        { field: 'body', message: `nested more than ${MAX_JSON_DEPTH} levels deep` },
      ]);
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      throw new AppError('INVALID_JSON', `The body is not valid JSON: ${(err as Error).message}`);
    }
  } catch (err) {
    done(err as Error, undefined);
  }
}

/** JSON, `+json` media types and text/plain (see above); `bodyLimit` overrides the server's for this scope. */
export function addJsonParsers(app: FastifyInstance, opts: { bodyLimit?: number } = {}): void {
  for (const type of JSON_TYPES) app.addContentTypeParser(type, { parseAs: 'string', ...opts }, parseJsonBody);
}
