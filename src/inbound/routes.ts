/**
 * Where inbound sources are mounted: `ALL /webhook/*` (a source with path `x` or
 * `/webhook/x`). The mount is an encapsulated plugin that reads any content type as raw bytes (the
 * root app parses only JSON), because signatures are over the exact bytes sent.
 */
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext, RouteModule } from '../context.js';
import { AppError } from '../errors.js';
import type { Source } from '../store/sources.js';
import { InboundPipeline, applyCors, tooLarge } from './pipeline.js';

/** The largest per-source body limit a source may set (its default is 256 KiB). */
export const MAX_SOURCE_BODY_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_SOURCE_BODY_LIMIT = 256 * 1024;
export const WEBHOOK_PREFIX = '/webhook/';
/** Statuses of requests refused before their action: stored as `refused`. */
const REFUSALS = new Set([401, 403, 413, 429]);

/** One pipeline (and so one rate-limit table) per running app, shared by every mount. */
const pipelines = new WeakMap<AppContext, InboundPipeline>();
const pipelineFor = (ctx: AppContext) => {
  let p = pipelines.get(ctx);
  if (!p) pipelines.set(ctx, (p = new InboundPipeline(ctx)));
  return p;
};

/** Every spelling of the source path a URL path may belong to. */
export function pathCandidates(urlPath: string): string[] {
  if (!urlPath.startsWith(WEBHOOK_PREFIX)) return [urlPath];
  // A trailing slash does not change the route, as everywhere else (no source path ends with one).
  const rest = urlPath.slice(WEBHOOK_PREFIX.length).replace(/\/$/, '');
  return rest ? [rest, WEBHOOK_PREFIX + rest] : [];
}

/** A source's URL path: a relative path lives under /webhook/. */
export const sourceUrlPath = (path: string) => (path.startsWith('/') ? path : WEBHOOK_PREFIX + path);

async function mount(app: FastifyInstance, ctx: AppContext, paths: string[]): Promise<void> {
  const pipeline = pipelineFor(ctx);
  const found = new WeakMap<FastifyRequest, Source>();
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_SOURCE_BODY_LIMIT }, (_req, body, done) => done(null, body));

    // Before the body is read: find the source, refuse a refused origin, and stop a
    // body over the source's own limit without reading all of it.
    scope.addHook('preParsing', async (req, reply, payload) => {
      const urlPath = req.url.split('?')[0];
      const source = await ctx.repos.sources.getByPath(pathCandidates(safeDecode(urlPath)));
      if (!source || !source.active) throw new AppError('NOT_FOUND', `No active inbound source at ${urlPath}`);
      found.set(req, source);
      applyCors(reply, source, req.headers.origin);
      const declared = Number(req.headers['content-length']);
      if (declared > source.bodyLimit) throw tooLarge(source.bodyLimit);
      return limitStream(payload, source.bodyLimit);
    });

    // Refusals (401, 403, 413, 429), wherever they happened, are kept with the reason.
    scope.addHook('onError', async (req, _reply, err) => {
      const source = found.get(req);
      if (source && err instanceof AppError && REFUSALS.has(err.status)) await pipeline.recordRefusal(req, source, err);
    });

    const handler = async (req: FastifyRequest, reply: FastifyReply) => pipeline.handle(req, reply, found.get(req)!);
    for (const path of paths) scope.all(path, { schema: { hide: true } }, handler);
  });
}

/** Mounts `/webhook/*`. Listed in ROOT_ROUTES. */
const inboundRoutes: RouteModule = (app, ctx) => mount(app, ctx, ['/webhook/*']);
export default inboundRoutes;

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** Counts bytes as they arrive and fails the read past `limit` (chunked bodies declare no length). */
function limitStream(payload: NodeJS.ReadableStream, limit: number): NodeJS.ReadableStream {
  let seen = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) return cb(tooLarge(limit));
      cb(null, chunk);
    },
  });
  payload.on('error', (err) => guard.destroy(err));
  return payload.pipe(guard);
}
