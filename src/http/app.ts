/** Fastify assembly: parsers, validation, error envelope, auth, OpenAPI, routes. */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AppContext, RouteModule } from '../context.js';
import { validatorCompiler } from './validation.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './errors.js';
import { makeAuthenticate } from './auth.js';
import { swaggerOptions } from './openapi.js';
import { addComponents } from './schemas.js';
import { addJsonParsers } from './json-body.js';
import { refuseNulInBodies } from './no-nul.js';
import opsRoutes from './routes/ops.js';
import projectRoutes from './routes/v1/project.js';
import projectsRoutes from './routes/v1/projects.js';
import eventTypeRoutes from './routes/v1/event-types.js';
import webhookRoutes from './routes/v1/webhooks.js';
import eventRoutes from './routes/v1/events.js';
import deliveryRoutes from './routes/v1/deliveries.js';
import spaceRoutes from './routes/v1/spaces.js';
import webhookActivityRoutes from './routes/v1/webhook-activity.js';
import sourceRoutes from './routes/v1/sources.js';
import inboundRoutes from '../inbound/routes.js';
import jobRoutes from './routes/v1/jobs.js';
import webhookPreviewRoutes from './routes/v1/webhook-preview.js';
import portalLinkRoutes from './routes/v1/portal-links.js';
import statsSeriesRoutes from './routes/v1/stats-series.js';
import spacesListRoutes from './routes/v1/spaces-list.js';
import { registerDashboard } from './static.js';

const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** Route modules under /v1 (authenticated). Later features add theirs here. */
export const V1_ROUTES: RouteModule[] = [
  projectRoutes,
  projectsRoutes,
  eventTypeRoutes,
  webhookRoutes,
  webhookActivityRoutes,
  webhookPreviewRoutes,
  eventRoutes,
  deliveryRoutes,
  spaceRoutes,
  sourceRoutes,
  jobRoutes,
  portalLinkRoutes,
  statsSeriesRoutes,
  spacesListRoutes,
];

/** Route modules at the root (inbound sources); built-in apps bring theirs through `buildApp`. */
export const ROOT_ROUTES: RouteModule[] = [inboundRoutes];

/** `apps`: the enabled built-in apps' own routes, at the root and under /v1. */
export async function buildApp(ctx: AppContext, logger: Logger, apps: { v1: RouteModule[]; root: RouteModule[] } = { v1: [], root: [] }) {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: ctx.config.bodyLimit,
    // Fastify's own two lines per request are off; the onResponse hook below writes one.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false } },
    // Ids reach 200 characters (client-chosen event ids), more once percent-encoded;
    // the router's default of 100 would refuse ids the API itself accepted.
    routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true },
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  app.removeAllContentTypeParsers();
  addJsonParsers(app);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // One access line per request; probes and scrapes (every few seconds) only at debug.
    const line = { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, project: req.caller?.projectId };
    if (QUIET_ROUTES.has(route)) req.log.debug(line, 'request');
    else req.log.info(line, 'request');
  });

  // Response schemas document the answers and never shape them: fast-json-stringify
  // would drop any field a schema lacks and coerce a value of another type, silently,
  // and several shapes are open (event data, templates, action settings, stored
  // requests). Answers are JSON.stringify of what the handler returns, as before any
  // response schema existed; test/api/openapi.test.ts checks them against the document.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, swaggerOptions);
  await app.register(swaggerUi, { routePrefix: '/docs' });
  addComponents(app);

  await opsRoutes(app, ctx);
  // A worker process serves only the ops routes: the API and inbound routes live in `api`/`all` processes.
  if (ctx.config.role === 'worker') return app;
  await registerDashboard(app, ctx);
  for (const mod of [...ROOT_ROUTES, ...apps.root]) await mod(app, ctx);
  const authenticate = makeAuthenticate(ctx.repos, ctx.defaultProjectId);
  await app.register(async (v1) => {
    v1.addHook('onRequest', authenticate);
    refuseNulInBodies(v1);
    for (const mod of [...V1_ROUTES, ...apps.v1]) await mod(v1, ctx);
  });
  return app;
}
