/**
 * No NUL characters in what the management API stores as text. PostgreSQL keeps no NUL in
 * text and refused such a name with a 400 of its own words, while SQLite stored it: now both
 * answer the same 422 naming the field. Event data is exempt (it is stored as JSON, where a
 * NUL is the escape `\u0000`): the routes that carry it check their text fields themselves.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { invalid } from '../errors.js';

/** Routes whose bodies carry event data. */
const CARRY_EVENT_DATA = new Set(['/v1/events', '/v1/webhooks/:id/test', '/v1/webhooks/preview']);

/** The path of the first string (or key) in `v` that holds a NUL, or undefined. */
function nulAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path || 'body' : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const at = nulAt(v[i], `${path}[${i}]`);
      if (at) return at;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    const here = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return here;
    const at = nulAt(x, here);
    if (at) return at;
  }
  return undefined;
}

/** A 422 naming the first field that holds a NUL. */
async function refuseNul(req: FastifyRequest): Promise<void> {
  if (req.body === undefined) return;
  const at = nulAt(req.body, '');
  if (at) {
    const field = at.replace(/\u0000/g, '\\u0000');
    throw invalid(`${field} must not contain NUL characters (\\u0000)`, [{ field, message: 'must not contain NUL characters' }]);
  }
}

/**
 * Adds the check to every route of `scope` registered after this that takes a body, but the
 * ones carrying event data — per route, so a publish does not even pass through it.
 */
export function refuseNulInBodies(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    const methods = ([] as string[]).concat(route.method);
    if (!methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH') || CARRY_EVENT_DATA.has(route.url)) return;
    const own = route.preValidation;
    route.preValidation = own === undefined ? [refuseNul] : [...(Array.isArray(own) ? own : [own]), refuseNul];
  });
}
