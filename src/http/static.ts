/**
 * The dashboard (web/, built into dist/web) at `/`: hashed assets with a long immutable
 * cache, index.html never cached, and index.html for client routes (`/webhooks/wh_…`) a
 * browser opens directly. The fallback answers only GET requests that accept HTML, match
 * no route and are not under a path the gateway owns, so an unknown API path still gets
 * the JSON 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/** From src/http (tests) and from dist/http (the built server) alike: <package>/dist/web. */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

/** Paths the gateway itself serves: never answered with the dashboard. */
const OWNED = ['/v1', '/health', '/ready', '/metrics', '/docs', '/openapi.json', '/webhook', '/assets'];

const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hookbridge</title></head>
<body><h1>Hookbridge</h1><p>The dashboard is not built. Run <code>npm run build</code> and restart; the API works meanwhile at <a href="/docs">/docs</a>.</p></body></html>`;

export async function registerDashboard(app: FastifyInstance, ctx: AppContext, root = WEB_ROOT): Promise<void> {
  const built = fs.existsSync(path.join(root, 'index.html'));
  const owned = [...OWNED, ...ctx.reservedPaths.keys()];
  const isOwned = (p: string) => owned.some((o) => p === o || p.startsWith(o.endsWith('/') ? o : `${o}/`));

  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      // One route per built file (no catch-all), so unknown paths reach the fallback below.
      wildcard: false,
      index: false,
      cacheControl: false,
      // The build writes .br/.gz beside each asset; served to clients that accept them.
      preCompressed: true,
      setHeaders: (res, file) => {
        res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? IMMUTABLE : 'no-cache');
        // The same URL answers br, gzip or plain by Accept-Encoding: a shared cache must key on it.
        res.setHeader('vary', 'Accept-Encoding');
      },
    });
  }

  const sendIndex = (reply: FastifyReply) => {
    if (!built) return reply.status(503).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  const wantsPage = (req: FastifyRequest, p: string) =>
    (req.headers.accept ?? '').includes('text/html') && !isOwned(p) && !/\.[A-Za-z0-9]+$/.test(p);

  app.get('/', { schema: { hide: true } }, async (_req, reply) => sendIndex(reply));
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const p = req.url.split('?')[0];
    if (!wantsPage(req, p)) return reply.callNotFound();
    return sendIndex(reply);
  });
}
