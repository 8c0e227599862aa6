import { sql } from 'kysely';
import type { RouteModule } from '../../context.js';
import { migrationsApplied } from '../../store/migrate.js';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. No auth. */
const opsRoutes: RouteModule = (app, ctx) => {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
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

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
export default opsRoutes;
