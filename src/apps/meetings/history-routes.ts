import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../context.js';
import { notFound } from '../../errors.js';
import { DateTime, IdParams, Nullable, Ok, PageQuery, Paged, component, errors, ok, page, ref } from '../../http/schemas.js';
import type { MeetingsRepo } from './store.js';

const MEETING_STATUSES = ['pending', 'created', 'reused', 'failed', 'refused'] as const;

const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost user id' })),
    channelId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost channel id' })),
    status: Type.Optional(Type.Union(MEETING_STATUSES.map((s) => Type.Literal(s)))),
  }),
]);

const MeetingView = component(
  'Meeting',
  Type.Object({
    id: Type.String({ description: 'mtg_…' }),
    sourceId: Nullable(Type.String(), 'The source it came through; null: the env-configured webhook'),
    channelId: Type.String(),
    channelName: Nullable(Type.String()),
    channelType: Nullable(Type.String()),
    userId: Type.String(),
    username: Nullable(Type.String()),
    operationType: Nullable(Type.String()),
    title: Nullable(Type.String()),
    provider: Type.String({ description: 'mock or ktalk' }),
    roomId: Nullable(Type.String()),
    roomName: Nullable(Type.String()),
    roomUrl: Nullable(Type.String()),
    status: Type.Union(MEETING_STATUSES.map((s) => Type.Literal(s))),
    answerStatus: Nullable(Type.Integer(), 'The HTTP status the plugin got (null while pending)'),
    error: Nullable(Type.String()),
    request: Type.Unknown({ description: 'The plugin\'s whole request body, unknown fields included' }),
    createdAt: DateTime(),
  }),
);

/** The meetings app's history (SPEC §6): rooms made, and requests the provider failed. */
export const historyRoutes =
  (repo: MeetingsRepo): RouteModule =>
  (app) => {
  const tags = ['meetings'];
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/meetings',
    { schema: { tags, summary: 'Meeting history, newest first (failed requests included, with their error)', querystring: ListQuery, response: { 200: Paged(ref(MeetingView)) } } },
    async (req) => {
      const { items, total } = await repo.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/meetings/:id',
    { schema: { tags, summary: 'One meeting with the request the plugin sent', params: IdParams, response: { 200: Ok(ref(MeetingView)), ...errors(404) } } },
    async (req) => {
      const m = await repo.get(req.caller.projectId, req.params.id);
      if (!m) throw notFound('Meeting', req.params.id);
      return ok(m);
    },
  );
};
