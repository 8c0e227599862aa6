/**
 * What a portal link's credential may call (SPEC §8): the dashboard of its one project —
 * webhooks (with their secrets, test sends, logs, stats and replay), the errors view and
 * delivery retries, and the event catalog to pick events from. Everything else (tokens,
 * projects, project settings, portal links, sources, spaces, apps' routes) answers 403,
 * so the scope is the API's, not only the UI's.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** `METHOD route-pattern` pairs; `*` as the method allows every method. Patterns are Fastify's route URLs. */
const ALLOWED: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^\/v1\/project$/],
  ['GET', /^\/v1\/event-types(\/:name(\/webhooks)?)?$/],
  ['*', /^\/v1\/webhooks(\/.*)?$/],
  ['GET', /^\/v1\/deliveries(\/:id)?$/],
  ['POST', /^\/v1\/deliveries\/:id\/retry$/],
  ['GET', /^\/v1\/stats\/series$/],
];

export function portalMayCall(method: string, routeUrl: string | undefined): boolean {
  if (!routeUrl) return false;
  const m = method === 'HEAD' ? 'GET' : method;
  return ALLOWED.some(([allowed, pattern]) => (allowed === '*' || allowed === m) && pattern.test(routeUrl));
}

/** Throws 403 when a portal credential calls a route outside the portal's scope. */
export function enforcePortalScope(req: FastifyRequest): void {
  if (!portalMayCall(req.method, req.routeOptions.url)) {
    throw new AppError('FORBIDDEN', 'A portal link only gives access to its project\'s webhooks, deliveries and statistics');
  }
}
