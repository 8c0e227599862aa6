import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, found, invalid, notFound } from '../../../errors.js';
import { isoSeconds, parseDate, summarize } from '../../../core/stats.js';
import { IdParams, Ok, PageQuery, Paged, errors, ok, page, ref } from '../../schemas.js';
import { DeliveryDetail, DeliveryStatus, DeliveryView, attemptView, logView } from './deliveries.js';
import { ReplayResult, TestSendResult, WebhookStats } from './activity-schema.js';
import { statsPeriod } from './stats-series.js';
import type { DeliveryStatus as StoredStatus } from '../../../store/schema.js';
import { CONNECT_TIMEOUT_MS } from '../../../delivery/sender.js';

const LogsQuery = Type.Composite([PageQuery, Type.Object({ status: Type.Optional(DeliveryStatus) })]);
const LogParams = Type.Object({ id: Type.String(), logId: Type.String() });
const StatsQuery = Type.Object({
  startDate: Type.Optional(Type.String({ description: 'Date or date-time; default: endDate − 24 h' })),
  endDate: Type.Optional(Type.String({ description: 'Date or date-time (exclusive); default: now' })),
});
const TestBody = Type.Object({
  eventType: Type.String({ minLength: 1, maxLength: 200 }),
  data: Type.Optional(Type.Unknown()),
});
const ReplayBody = Type.Object({
  since: Type.String({ description: 'Date or date-time: replay deliveries and events from here on' }),
  until: Type.Optional(Type.String({ description: 'Date or date-time: up to here (exclusive). Default: now' })),
  status: Type.Optional(
    Type.Union([Type.Literal('failed'), Type.Literal('delivered'), Type.Literal('all')], { description: 'Deliveries to send again: failed (default), delivered, or all' }),
  ),
});

/** Per-webhook logs, stats, test sends and replay (SPEC §3, seed 001). */
const webhookActivityRoutes: RouteModule = (app, ctx) => {
  const tags = ['webhooks'];
  const log = ctx.repos.deliveryLog;
  const load = async (projectId: string, id: string) => {
    const w = await ctx.repos.webhooks.get(projectId, id);
    if (!w) throw notFound('Webhook', id);
    return w;
  };

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof LogsQuery> }>(
    '/v1/webhooks/:id/logs',
    { schema: { tags, summary: 'Delivery log of a webhook, newest first', params: IdParams, querystring: LogsQuery, response: { 200: Paged(ref(DeliveryView)), ...errors(404) } } },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.id);
      const { items, total } = await log.list(req.caller.projectId, { ...req.query, webhookId: w.id });
      return page(items.map(logView), total, req.query);
    },
  );

  app.get<{ Params: Static<typeof LogParams> }>(
    '/v1/webhooks/:id/logs/:logId',
    { schema: { tags, summary: 'One log record with every attempt (request and response)', params: LogParams, response: { 200: Ok(ref(DeliveryDetail)), ...errors(404) } } },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.id);
      const d = await log.get(req.caller.projectId, req.params.logId);
      if (!d || d.webhook_id !== w.id) throw notFound('Log', req.params.logId);
      const payload = await log.payload(d.project_id, d.event_id);
      return ok({ ...logView(d), attemptLog: (await log.attempts(d.id)).map((a) => attemptView(a, payload)) });
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof StatsQuery> }>(
    '/v1/webhooks/:id/stats',
    { schema: { tags, summary: 'Delivery statistics for a period', params: IdParams, querystring: StatsQuery, response: { 200: Ok(ref(WebhookStats)), ...errors(404) } } },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.id);
      const { start, end } = statsPeriod(req.query);
      const { counts, durations } = await log.stats(w.id, start, end);
      const total = counts.reduce((a, c) => a + c.n, 0);
      const successful = counts.filter((c) => c.status === 'delivered').reduce((a, c) => a + c.n, 0);
      const failed = counts.filter((c) => c.status === 'failed').reduce((a, c) => a + c.n, 0);
      const events: Record<string, number> = {};
      for (const c of counts) events[c.event_type] = (events[c.event_type] ?? 0) + c.n;
      return ok({
        webhookId: w.id,
        period: { startDate: isoSeconds(start), endDate: isoSeconds(end) },
        delivery: { total, successful, failed, successRate: total ? Math.round((successful / total) * 1000) / 1000 : 0 },
        events,
        responseTimes: summarize(durations),
      });
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof TestBody> }>(
    '/v1/webhooks/:id/test',
    { schema: { tags, summary: 'Send a test event to this webhook only and answer with the attempt result', params: IdParams, body: TestBody, response: { 200: Ok(ref(TestSendResult)), ...errors(404, 409) } } },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.id);
      // The worker sends nothing to an inactive webhook: a test would only leave a failed delivery behind.
      if (!w.active) {
        const why = w.disabledReason ? ` (disabled: ${w.disabledReason})` : '';
        throw new AppError('CONFLICT', `Webhook ${w.id} is inactive${why}: activate it with PUT /v1/webhooks/${w.id} {"active": true}, then send the test again`);
      }
      if (!(await ctx.repos.eventTypes.get(req.caller.projectId, req.body.eventType))) {
        throw invalid(`unknown event type ${req.body.eventType}`, [{ field: 'eventType', message: 'is not in the catalog' }]);
      }
      const { event } = await ctx.repos.events.publish(req.caller.projectId, {
        type: req.body.eventType,
        data: req.body.data ?? {},
        onlyWebhookId: w.id,
      });
      ctx.wake();
      // None when the webhook was deleted meanwhile (the test send goes to it alone).
      const delivery = found(event.deliveries[0], 'Webhook', w.id);
      // Wait for the first attempt: making the connection (its own limit), the webhook's
      // timeout, and room for the queue. Without the connection's part, a test to a host
      // whose handshake hangs answered "no attempt" before the attempt failed.
      const deadline = Date.now() + CONNECT_TIMEOUT_MS + w.timeout + 5000;
      let attempts = await log.attempts(delivery.id);
      while (!attempts.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        attempts = await log.attempts(delivery.id);
        // Deleted meanwhile: nothing will send it, so there is nothing to wait for.
        if (!attempts.length && !(await ctx.repos.webhooks.get(req.caller.projectId, w.id))) throw notFound('Webhook', w.id);
      }
      const d = found(await log.get(req.caller.projectId, delivery.id), 'Webhook', w.id);
      const a = attempts[0];
      return ok({
        eventId: event.id,
        deliveryId: delivery.id,
        status: d.status,
        success: a?.status === 'success',
        attempt: a
          ? { statusCode: a.response_status, responseTime: a.duration_ms, body: a.response_body, error: a.error }
          : null,
      });
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ReplayBody> }>(
    '/v1/webhooks/:id/replay',
    { schema: { tags, summary: 'Redeliver a window: failed (or all) deliveries and missed events since a time', params: IdParams, body: ReplayBody, response: { 202: Ok(ref(ReplayResult)), ...errors(404) } } },
    async (req, reply) => {
      const w = await load(req.caller.projectId, req.params.id);
      const since = parseDate(req.body.since);
      if (since === undefined) throw invalid('since must be a date or date-time', [{ field: 'since', message: 'does not parse' }]);
      const until = req.body.until === undefined ? Date.now() + 1 : parseDate(req.body.until);
      if (until === undefined) throw invalid('until must be a date or date-time', [{ field: 'until', message: 'does not parse' }]);
      if (until <= since) throw invalid('until must be after since', [{ field: 'until', message: 'is not after since' }]);
      const status = req.body.status ?? 'failed';
      const statuses: StoredStatus[] = status === 'all' ? ['failed', 'delivered'] : [status];
      const result = await log.replay(w, since, until, statuses);
      ctx.wake();
      return reply.status(202).send(ok({ webhookId: w.id, since: new Date(since).toISOString(), until: new Date(until).toISOString(), status, ...result }));
    },
  );
};
export default webhookActivityRoutes;
