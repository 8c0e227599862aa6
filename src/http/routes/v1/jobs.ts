import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, notFound } from '../../../errors.js';
import { IdParams, PageQuery, ok, page } from '../../schemas.js';

const JobStatus = Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]);
const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'e.g. okdesk-rating.send-rating' })),
    status: Type.Optional(JobStatus),
  }),
]);

/** App work (SPEC §7: failures to reach Telegram or Okdesk are retried and visible): list, inspect, redrive. */
const jobRoutes: RouteModule = (app, ctx) => {
  const tags = ['jobs'];
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/jobs',
    { schema: { tags, summary: 'App jobs, newest first, with their attempt log', querystring: ListQuery } },
    async (req) => {
      const { items, total } = await ctx.repos.jobs.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/jobs/:id',
    { schema: { tags, summary: 'One job with its attempt log', params: IdParams } },
    async (req) => {
      const job = await ctx.repos.jobs.get(req.caller.projectId, req.params.id);
      if (!job) throw notFound('Job', req.params.id);
      return ok(job);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/v1/jobs/:id/retry',
    { schema: { tags, summary: 'Run a failed (or waiting) job again now, with a fresh attempt budget', params: IdParams } },
    async (req, reply) => {
      const { projectId } = req.caller;
      const job = await ctx.repos.jobs.retry(projectId, req.params.id);
      if (!job) {
        const existing = await ctx.repos.jobs.get(projectId, req.params.id);
        if (!existing) throw notFound('Job', req.params.id);
        throw new AppError('CONFLICT', existing.status === 'done' ? `Job ${existing.id} already succeeded` : `Job ${existing.id} is running now`);
      }
      ctx.jobs.wake();
      return reply.status(202).send(ok(job));
    },
  );
};
export default jobRoutes;
