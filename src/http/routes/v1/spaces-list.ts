import type { RouteModule } from '../../../context.js';
import { Type } from '@sinclair/typebox';
import { PageQuery, Paged, component, iso, pageOf, ref } from '../../schemas.js';

const SpaceSummary = component(
  'SpaceSummary',
  Type.Object({
    spaceId: Type.String(),
    webhookId: Type.String(),
    url: Type.String(),
    isActive: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Union([Type.String(), Type.Null()]),
    lastDelivery: Type.Union([Type.String(), Type.Null()]),
  }),
);

/**
 * The project's per-space webhooks in one list, for the dashboard's spaces screen (the
 * seed 002 routes address one space at a time and have no list). Secrets are never shown
 * here: `PUT /v1/spaces/{spaceId}/webhook/refresh-secret` issues a new one.
 */
const spacesListRoutes: RouteModule = (app, ctx) => {
  app.get<{ Querystring: PageQuery }>(
    '/v1/spaces',
    { schema: { tags: ['spaces'], summary: 'Per-space webhooks of the project, oldest first', querystring: PageQuery, response: { 200: Paged(ref(SpaceSummary)) } } },
    async (req) => {
      const spaces = (await ctx.repos.webhooks.all(req.caller.projectId)).filter((w) => w.spaceId);
      return pageOf(spaces, req.query, (w) => ({
        spaceId: w.spaceId!,
        webhookId: w.id,
        url: w.url,
        isActive: w.active,
        disabledReason: w.disabledReason,
        createdAt: iso(w.createdAt),
        lastDelivery: iso(w.lastDeliveryAt),
      }));
    },
  );
};
export default spacesListRoutes;
