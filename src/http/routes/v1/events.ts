import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { invalid, notFound } from '../../../errors.js';
import { DateTime, IdParams, Nullable, Ok, PageQuery, Paged, component, errors, ok, page, ref } from '../../schemas.js';
import { DeliveryStatus } from './deliveries.js';

const PublishBody = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 200 }),
  data: Type.Unknown({ description: 'Any JSON value; sent as the envelope data' }),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'Idempotency: the same id again answers the first result' })),
  space: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
});
type PublishBody = Static<typeof PublishBody>;
const IdemHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) });
const ListQuery = Type.Composite([PageQuery, Type.Object({ type: Type.Optional(Type.String()) })]);

const DeliveryRef = component(
  'DeliveryRef',
  Type.Object({ id: Type.String({ description: 'dlv_…' }), webhookId: Type.String(), status: DeliveryStatus }, { description: 'A delivery of the event to one webhook' }),
);

const Published = component(
  'PublishedEvent',
  Type.Object({ id: Type.String({ description: 'evt_…, or the id given' }), type: Type.String(), createdAt: DateTime(), deliveries: Type.Array(ref(DeliveryRef)) }),
);

const EventView = component(
  'Event',
  Type.Object({
    id: Type.String(),
    type: Type.String(),
    createdAt: DateTime(),
    data: Type.Unknown({ description: 'As published' }),
    space: Nullable(Type.String()),
    channels: Type.Array(Type.String()),
  }),
);

/** Publish and read events (SPEC §3). */
const eventRoutes: RouteModule = (app, ctx) => {
  const tags = ['events'];
  app.post<{ Body: PublishBody; Headers: Static<typeof IdemHeaders> }>(
    '/v1/events',
    {
      schema: {
        tags,
        summary: 'Publish an event: 202 once it and its deliveries are durably stored',
        body: PublishBody,
        headers: IdemHeaders,
        response: {
          202: {
            ...Ok(ref(Published), 'Stored with its deliveries; the same id or Idempotency-Key again answers the first result'),
            headers: { 'idempotent-replayed': { type: 'string', enum: ['true', 'false'], description: 'true: this answers an earlier publish' } },
          },
        },
      },
    },
    async (req, reply) => {
      const { projectId } = req.caller;
      const body = req.body;
      if (!('data' in body) || body.data === undefined) throw invalid('data is required (any JSON value)', [{ field: 'data', message: 'is required' }]);
      if (!(await ctx.repos.eventTypes.exists(projectId, body.type))) {
        throw invalid(`unknown event type ${body.type}; add it with POST /v1/event-types first`, [{ field: 'type', message: 'is not in the catalog' }]);
      }
      const { event, created } = await ctx.publisher.publish(projectId, {
        type: body.type,
        data: body.data,
        id: body.id,
        idempotencyKey: req.headers['idempotency-key'],
        space: body.space ?? null,
        channels: body.channels,
      });
      reply.header('idempotent-replayed', String(!created));
      return reply.status(202).send(ok(event));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/events',
    { schema: { tags, summary: 'List events, newest first', querystring: ListQuery, response: { 200: Paged(ref(EventView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.events.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/events/:id',
    {
      schema: {
        tags,
        summary: 'Get an event with its deliveries',
        params: IdParams,
        response: { 200: Ok(Type.Composite([EventView, Type.Object({ deliveries: Type.Array(ref(DeliveryRef)) })])), ...errors(404) },
      },
    },
    async (req) => {
      const e = await ctx.repos.events.get(req.caller.projectId, req.params.id);
      if (!e) throw notFound('Event', req.params.id);
      return ok(e);
    },
  );
};
export default eventRoutes;
