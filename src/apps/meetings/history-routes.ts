import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../context.js';
import { notFound } from '../../errors.js';
import { IdParams, PageQuery, ok, page } from '../../http/schemas.js';
import type { MeetingsRepo } from './store.js';

const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost user id' })),
    channelId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Mattermost channel id' })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('created'), Type.Literal('reused'), Type.Literal('failed'), Type.Literal('refused')])),
  }),
]);

/** The meetings app's history (SPEC §6): rooms made, and requests the provider failed. */
export const historyRoutes =
  (repo: MeetingsRepo): RouteModule =>
  (app) => {
  const tags = ['meetings'];
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/meetings',
    { schema: { tags, summary: 'Meeting history, newest first (failed requests included, with their error)', querystring: ListQuery } },
    async (req) => {
      const { items, total } = await repo.list(req.caller.projectId, req.query);
      return page(items, total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/meetings/:id',
    { schema: { tags, summary: 'One meeting with the request the plugin sent', params: IdParams } },
    async (req) => {
      const m = await repo.get(req.caller.projectId, req.params.id);
      if (!m) throw notFound('Meeting', req.params.id);
      return ok(m);
    },
  );
};
