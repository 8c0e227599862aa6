import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, invalid, notFound } from '../../../errors.js';
import { isUniqueViolation } from '../../../store/query.js';
import { DateTime, NoContent, Ok, PageQuery, Paged, component, errors, ok, page, pageOf, readOnly, ref } from '../../schemas.js';
import { categoryOf } from '../../../core/catalog.js';
import { patternMatches } from '../../../core/matching.js';
import { WebhookView, webhookView } from './webhook-schema.js';

const NAME = '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$';
const CreateEventType = Type.Object({
  name: Type.String({ pattern: NAME, maxLength: 200, description: 'e.g. invoice.paid' }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
const PatchEventType = Type.Object({
  name: Type.Optional(Type.String({ description: 'The name in the URL (as a read returns it); an event type cannot be renamed' })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  ...readOnly('createdAt'),
});
const EventTypeView = component(
  'EventType',
  Type.Object({
    name: Type.String(),
    description: Type.String(),
    category: Type.String({ description: 'Given, or the part of the name before the first dot' }),
    createdAt: DateTime(),
  }),
);

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const ListQuery = Type.Composite([PageQuery, Type.Object({ category: Type.Optional(Type.String()) })]);

/** The project's event catalog (SPEC §3). */
const eventTypeRoutes: RouteModule = (app, ctx) => {
  const tags = ['event-types'];
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/event-types',
    { schema: { tags, summary: 'List event types', querystring: ListQuery, response: { 200: Paged(ref(EventTypeView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.eventTypes.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.post<{ Body: Static<typeof CreateEventType> }>(
    '/v1/event-types',
    { schema: { tags, summary: 'Add an event type', body: CreateEventType, response: { 201: Ok(ref(EventTypeView)), ...errors(409) } } },
    async (req, reply) => {
      const { projectId } = req.caller;
      const exists = () => new AppError('CONFLICT', `Event type ${req.body.name} already exists`);
      if (await ctx.repos.eventTypes.get(projectId, req.body.name)) throw exists();
      const created = await ctx.repos.eventTypes
        .create(projectId, { name: req.body.name, description: req.body.description ?? '', category: req.body.category ?? categoryOf(req.body.name) })
        // Created by a concurrent request between the check and the insert.
        .catch((err) => Promise.reject(isUniqueViolation(err) ? exists() : err));
      return reply.status(201).send(ok(created));
    },
  );

  app.get<{ Params: Static<typeof NameParams> }>(
    '/v1/event-types/:name',
    { schema: { tags, summary: 'Get an event type', params: NameParams, response: { 200: Ok(ref(EventTypeView)), ...errors(404) } } },
    async (req) => {
      const t = await ctx.repos.eventTypes.get(req.caller.projectId, req.params.name);
      if (!t) throw notFound('Event type', req.params.name);
      return ok(t);
    },
  );

  app.get<{ Params: Static<typeof NameParams>; Querystring: PageQuery }>(
    '/v1/event-types/:name/webhooks',
    {
      schema: {
        tags,
        summary: 'The webhooks ("actions") this event goes to, in the order they were added',
        params: NameParams,
        querystring: PageQuery,
        response: { 200: Paged(ref(WebhookView)), ...errors(404) },
      },
    },
    async (req) => {
      const { projectId } = req.caller;
      if (!(await ctx.repos.eventTypes.get(projectId, req.params.name))) throw notFound('Event type', req.params.name);
      // Matched in memory (patterns such as `call.*`), then paged like every other list.
      const all = await ctx.repos.webhooks.all(projectId);
      const actions = all.filter((w) => w.events.some((p) => patternMatches(p, req.params.name)));
      return pageOf(actions, req.query, (w) => webhookView(w));
    },
  );

  app.put<{ Params: Static<typeof NameParams>; Body: Static<typeof PatchEventType> }>(
    '/v1/event-types/:name',
    { schema: { tags, summary: 'Update an event type (partial)', params: NameParams, body: PatchEventType, response: { 200: Ok(ref(EventTypeView)), ...errors(404) } } },
    async (req) => {
      const { name, ...patch } = req.body ?? {};
      if (name !== undefined && name !== req.params.name) {
        throw invalid(`an event type cannot be renamed: add ${name} and remove ${req.params.name} instead`, [{ field: 'name', message: 'differs from the name in the URL' }]);
      }
      const t = await ctx.repos.eventTypes.update(req.caller.projectId, req.params.name, patch);
      if (!t) throw notFound('Event type', req.params.name);
      return ok(t);
    },
  );

  app.delete<{ Params: Static<typeof NameParams> }>(
    '/v1/event-types/:name',
    { schema: { tags, summary: 'Remove an event type', params: NameParams, response: { 204: NoContent(), ...errors(404) } } },
    async (req, reply) => {
      if (!(await ctx.repos.eventTypes.delete(req.caller.projectId, req.params.name))) throw notFound('Event type', req.params.name);
      return reply.status(204).send();
    },
  );
};
export default eventTypeRoutes;
