import { sql } from 'kysely';
import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../context.js';
import { migrationsApplied } from '../../store/migrate.js';

const tags = ['operations'];
/** No token: probes, scrapers and API clients call these as they are. */
const security: never[] = [];

const NotReady = Type.Object(
  {
    status: Type.Literal('not ready'),
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    migrations: Type.Optional(Type.Literal('pending')),
    error: Type.Optional(Type.String({ description: 'Why the database could not be reached' })),
  },
  { description: 'The database is unreachable or migrations are pending' },
);

const text = (type: string, description: string) => ({ description, content: { [type]: { schema: Type.String() } } });

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. No auth. */
const opsRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/health',
    { schema: { tags, security, summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' }),
  );

  const ready = Type.Object({ status: Type.Literal('ready'), database: Type.Literal('ok'), migrations: Type.Literal('applied') });
  app.get('/ready', { schema: { tags, security, summary: 'Readiness: database reachable, migrations applied', response: { 200: ready, 503: NotReady } } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.repos.store.db);
      if (!(await migrationsApplied(ctx.repos.store.db, ctx.repos.store.schema, ctx.migrations))) {
        return reply.status(503).send({ status: 'not ready', database: 'ok', migrations: 'pending' });
      }
      return { status: 'ready', database: 'ok', migrations: 'applied' };
    } catch (err) {
      return reply.status(503).send({ status: 'not ready', database: 'unreachable', error: (err as Error).message });
    }
  });

  app.get('/metrics', { schema: { tags, security, summary: 'Prometheus metrics', response: { 200: text('text/plain', 'Prometheus text format 0.0.4') } } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get(
    '/openapi.json',
    { schema: { tags, security, summary: 'This document (OpenAPI 3.0); /docs shows it', response: { 200: Type.Object({ openapi: Type.String() }, { additionalProperties: true, description: 'The OpenAPI document' }) } } },
    async () => app.swagger(),
  );
};
export default opsRoutes;
