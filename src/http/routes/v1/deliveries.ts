import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, notFound } from '../../../errors.js';
import type { AttemptRow, DeliveryRow } from '../../../store/delivery-log.js';
import { DateTime, IdParams, Nullable, Ok, PageQuery, Paged, component, errors, iso, ok, page, ref } from '../../schemas.js';

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);
const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({ status: Type.Optional(DeliveryStatus), webhookId: Type.Optional(Type.String()), eventType: Type.Optional(Type.String()) }),
]);

/** Seed 001's log record, then Hookbridge's fields. */
export const DeliveryView = component(
  'Delivery',
  Type.Object({
    id: Type.String({ description: 'dlv_…' }),
    eventId: Type.String(),
    eventType: Type.String(),
    status: DeliveryStatus,
    responseTime: Nullable(Type.Integer(), 'ms, of the last attempt that got a response'),
    attempts: Type.Integer({ minimum: 0 }),
    deliveredAt: Nullable(DateTime()),
    response: Nullable(Type.Object({ statusCode: Nullable(Type.Integer()), body: Nullable(Type.String()) }), 'The last attempt\'s answer (null before the first attempt)'),
    webhookId: Type.String(),
    error: Nullable(Type.String(), 'Why the last attempt failed'),
    createdAt: DateTime(),
    nextAttemptAt: Nullable(DateTime(), 'When a pending delivery is tried next'),
  }),
);

const Headers = Type.Record(Type.String(), Type.String());

export const AttemptView = component(
  'Attempt',
  Type.Object({
    id: Type.String({ description: 'att_…' }),
    attempt: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    createdAt: DateTime(),
    request: Type.Object({ method: Type.String(), url: Type.String(), headers: Headers, body: Nullable(Type.String()) }, { description: 'Exactly what was sent (a secret a template renders shows as ****)' }),
    response: Nullable(Type.Object({ statusCode: Type.Integer(), headers: Headers, body: Nullable(Type.String({ description: 'The first 4 KiB' })) }), 'null: no answer (timeout, refused, blocked)'),
    duration: Nullable(Type.Integer(), 'ms'),
    error: Nullable(Type.String()),
    retryReason: Nullable(Type.String({ description: 'timeout, connection, http_5xx, http_4xx, http_429, …' })),
    notes: Nullable(Type.String()),
  }),
);

/** A log record with every attempt (`GET /v1/webhooks/{id}/logs/{logId}`, `GET /v1/deliveries/{id}`). */
export const DeliveryDetail = component('DeliveryDetail', Type.Composite([DeliveryView, Type.Object({ attemptLog: Type.Array(ref(AttemptView)) })]));

/** Seed 001 log record. */
export const logView = (d: DeliveryRow): Static<typeof DeliveryView> => ({
  id: d.id,
  eventId: d.event_id,
  eventType: d.event_type,
  status: d.status,
  responseTime: d.last_response_ms,
  attempts: d.attempts,
  deliveredAt: iso(d.delivered_at),
  response: d.attempts ? { statusCode: d.last_status_code, body: d.last_response_body } : null,
  webhookId: d.webhook_id,
  error: d.last_error,
  createdAt: iso(d.created_at),
  nextAttemptAt: d.status === 'pending' ? iso(nextAttempt(d)) : null,
});

/**
 * A leased delivery is in a worker's hands (being sent, or queued behind its endpoint's
 * limits): it is due now. Its `next_attempt_at` then holds the lease's end, which is only
 * when another worker may take it over, not a schedule.
 */
function nextAttempt(d: Pick<DeliveryRow, 'next_attempt_at' | 'lease_until'>, now = Date.now()): number {
  return d.lease_until != null && d.lease_until > now ? now : d.next_attempt_at;
}

export const attemptView = (a: AttemptRow, payload: string | undefined): Static<typeof AttemptView> => ({
  id: a.id,
  attempt: a.attempt,
  status: a.status,
  createdAt: iso(a.created_at),
  request: { method: a.request_method, url: a.request_url, headers: JSON.parse(a.request_headers), body: a.request_body ?? payload ?? null },
  response:
    a.response_status === null ? null : { statusCode: a.response_status, headers: a.response_headers ? JSON.parse(a.response_headers) : {}, body: a.response_body },
  duration: a.duration_ms,
  error: a.error,
  retryReason: a.retry_reason,
  notes: a.notes,
});

/** All deliveries of the project; `status=failed` is seed 003's "webhook errors" page. */
const deliveryRoutes: RouteModule = (app, ctx) => {
  const tags = ['deliveries'];
  const log = ctx.repos.deliveryLog;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/deliveries',
    {
      schema: {
        tags,
        summary: 'List deliveries (status=failed: the errors view)',
        querystring: ListQuery,
        response: { 200: Paged(Type.Composite([DeliveryView, Type.Object({ webhookName: Nullable(Type.String()), statusCode: Nullable(Type.Integer()) })])) },
      },
    },
    async (req) => {
      const { items, total } = await log.list(req.caller.projectId, req.query);
      const names = await ctx.repos.webhooks.byIds([...new Set(items.map((d) => d.webhook_id))]);
      return page(
        items.map((d) => ({ ...logView(d), webhookName: names.get(d.webhook_id)?.name ?? null, statusCode: d.last_status_code })),
        total,
        req.query,
      );
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/deliveries/:id',
    { schema: { tags, summary: 'One delivery with every attempt', params: IdParams, response: { 200: Ok(ref(DeliveryDetail)), ...errors(404) } } },
    async (req) => {
      const d = await log.get(req.caller.projectId, req.params.id);
      if (!d) throw notFound('Delivery', req.params.id);
      const payload = await log.payload(d.project_id, d.event_id);
      return ok({ ...logView(d), attempts: d.attempts, attemptLog: (await log.attempts(d.id)).map((a) => attemptView(a, payload)) });
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/v1/deliveries/:id/retry',
    {
      schema: {
        tags,
        summary: 'Deliver again now, with a fresh retry budget',
        params: IdParams,
        response: { 202: Ok(ref(DeliveryView), 'Due again now'), ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const d = await log.get(req.caller.projectId, req.params.id);
      if (!d) throw notFound('Delivery', req.params.id);
      if (!(await log.retry(req.caller.projectId, d.id))) {
        throw new AppError('CONFLICT', `Delivery ${d.id} is being sent right now; try again when it finishes`);
      }
      ctx.wake();
      return reply.status(202).send(ok(logView((await log.get(req.caller.projectId, d.id))!)));
    },
  );
};
export default deliveryRoutes;
