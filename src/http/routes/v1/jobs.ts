import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, notFound } from '../../../errors.js';
import { DateTime, IdParams, Nullable, Ok, PageQuery, Paged, component, errors, ok, page, ref } from '../../schemas.js';

const JobStatus = Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]);
const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'e.g. okdesk-rating.send-rating' })),
    status: Type.Optional(JobStatus),
  }),
]);

const JobView = component(
  'Job',
  Type.Object({
    id: Type.String({ description: 'job_…' }),
    kind: Type.String({ description: 'e.g. okdesk-rating.send-rating' }),
    status: JobStatus,
    payload: Type.Unknown({ description: 'What the job works on (its kind\'s own shape)' }),
    attempts: Type.Integer({ minimum: 0 }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    nextAttemptAt: Nullable(DateTime(), 'When a pending job runs next'),
    lastError: Nullable(Type.String()),
    log: Type.Array(Type.Object({ at: DateTime(), attempt: Type.Integer(), ms: Type.Number(), error: Nullable(Type.String()) }), { description: 'Every attempt' }),
    result: Type.Unknown({ description: 'What a finished job produced (null before)' }),
    createdAt: DateTime(),
    finishedAt: Nullable(DateTime()),
  }),
);

/** App work (SPEC §7: failures to reach Telegram or Okdesk are retried and visible): list, inspect, redrive. */
const jobRoutes: RouteModule = (app, ctx) => {
  const tags = ['jobs'];
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/jobs',
    { schema: { tags, summary: 'App jobs, newest first, with their attempt log', querystring: ListQuery, response: { 200: Paged(ref(JobView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.jobs.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/jobs/:id',
    { schema: { tags, summary: 'One job with its attempt log', params: IdParams, response: { 200: Ok(ref(JobView)), ...errors(404) } } },
    async (req) => {
      const job = await ctx.repos.jobs.get(req.caller.projectId, req.params.id);
      if (!job) throw notFound('Job', req.params.id);
      return ok(job);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/v1/jobs/:id/retry',
    {
      schema: {
        tags,
        summary: 'Run a failed (or waiting) job again now, with a fresh attempt budget',
        params: IdParams,
        response: { 202: Ok(ref(JobView), 'Due again now'), ...errors(404, 409) },
      },
    },
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
