import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, notFound } from '../../../errors.js';
import { isoSeconds, parseDate } from '../../../core/stats.js';
import { bucketSeries } from '../../../core/series.js';
import { Ok, component, errors, ok, ref } from '../../schemas.js';

const Times = Type.Object({ average: Type.Number(), p50: Type.Number(), p95: Type.Number(), p99: Type.Number() });
export const StatsSeries = component(
  'StatsSeries',
  Type.Object({
    webhookId: Type.Union([Type.String(), Type.Null()]),
    eventType: Type.Union([Type.String(), Type.Null()]),
    period: Type.Object({ startDate: Type.String(), endDate: Type.String() }),
    bucketSeconds: Type.Number(),
    points: Type.Array(
      Type.Object({
        start: Type.String({ description: 'Start of the bucket (ISO); it runs to the next point' }),
        total: Type.Integer(),
        successful: Type.Integer(),
        failed: Type.Integer(),
        successRate: Type.Union([Type.Number(), Type.Null()], { description: 'null when nothing finished in the bucket' }),
        attempts: Type.Integer({ description: 'Attempts that got a response' }),
        responseTimes: Type.Union([Times, Type.Null()], { description: 'ms' }),
      }),
    ),
  }),
);

const SeriesQuery = Type.Object({
  webhookId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'One webhook; default: every webhook of the project' })),
  eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'One event type; default: all' })),
  startDate: Type.Optional(Type.String({ description: 'Date or date-time; default: endDate − 24 h' })),
  endDate: Type.Optional(Type.String({ description: 'Date or date-time (exclusive); default: now' })),
  buckets: Type.Integer({ minimum: 1, maximum: 500, default: 24, description: 'How many equal time buckets. Default: 24' }),
});

/**
 * A statistics period from `startDate` and `endDate` (dates or date-times): by default the
 * 24 hours up to now, or up to `endDate`. Shared by the per-webhook stats and the series.
 */
export function statsPeriod(q: { startDate?: string; endDate?: string }): { start: number; end: number } {
  const end = q.endDate ? parseDate(q.endDate) : Date.now();
  const start = q.startDate ? parseDate(q.startDate) : end !== undefined ? end - 86400_000 : undefined;
  if (start === undefined || end === undefined || start >= end) {
    throw new AppError('VALIDATION_ERROR', 'startDate and endDate must be dates (YYYY-MM-DD or ISO) with startDate before endDate', [], { status: 400 });
  }
  return { start, end };
}

/**
 * Delivery statistics over time, for the dashboard's charts: per bucket, deliveries by
 * status (by creation time), the success rate of the finished ones, and response-time
 * percentiles of the attempts that got a response. Per webhook, per event type, or both.
 */
const statsSeriesRoutes: RouteModule = (app, ctx) => {
  app.get<{ Querystring: Static<typeof SeriesQuery> }>(
    '/v1/stats/series',
    { schema: { tags: ['webhooks'], summary: 'Success rate and latency percentiles over time', querystring: SeriesQuery, response: { 200: Ok(ref(StatsSeries)), ...errors(400) } } },
    async (req) => {
      const q = req.query;
      const { start, end } = statsPeriod(q);
      const { projectId } = req.caller;
      if (q.webhookId && !(await ctx.repos.webhooks.get(projectId, q.webhookId))) throw notFound('Webhook', q.webhookId);
      const rows = await ctx.repos.statsSeries.rows(projectId, { from: start, to: end, webhookId: q.webhookId, eventType: q.eventType });
      const { bucketMs, points } = bucketSeries(start, end, q.buckets, rows.deliveries, rows.attempts);
      return ok({
        webhookId: q.webhookId ?? null,
        eventType: q.eventType ?? null,
        period: { startDate: isoSeconds(start), endDate: isoSeconds(end) },
        bucketSeconds: bucketMs / 1000,
        points,
      });
    },
  );
};
export default statsSeriesRoutes;
