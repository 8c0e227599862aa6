import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { AppError, found, notFound } from '../../../errors.js';
import { randomAlnum } from '../../../ids.js';
import { LIVEDIGITAL_EVENTS } from '../../../core/catalog.js';
import { DEFAULT_RETRY_POLICY } from '../../../core/retry.js';
import { webhookDefaults, type Webhook, type WebhookInput } from '../../../store/webhooks.js';
import { NoContent, errors } from '../../schemas.js';
import { checkWebhook } from './webhook-schema.js';

const SpaceParams = Type.Object({ spaceId: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$' }) });
const CreateBody = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2048 }) });
const UpdateBody = Type.Object({ url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })), isActive: Type.Optional(Type.Boolean()) });
type Params = Static<typeof SpaceParams>;

// livedigital's bare shapes, not the envelope (SPEC §5); errors are the API's envelope.
const WithSecret = Type.Object(
  { url: Type.String(), secret: Type.String({ description: '32 letters and digits: the HMAC-SHA256 key of the body signature' }), isActive: Type.Boolean() },
  { description: 'The space\'s webhook with its secret' },
);
const Settings = Type.Object({ url: Type.String(), isActive: Type.Boolean() }, { description: 'The space\'s webhook' });
/** The body may come as text/plain (seed 002's curl examples). */
const consumes = ['application/json', 'text/plain'];

/** livedigital sends each event three times at most: the first try and two retries. */
const SPACE_RETRY_POLICY = { ...DEFAULT_RETRY_POLICY, maxRetries: 2 };

const bare = (w: Webhook, withSecret = false) =>
  withSecret ? { url: w.url, secret: w.secret, isActive: w.active } : { url: w.url, isActive: w.active };

/**
 * Seed 002 per-space webhooks with livedigital's bare shapes. Like livedigital's own
 * API, these accept a JSON body sent as text/plain (its curl examples do that).
 */
const spaceRoutes: RouteModule = (app, ctx) => {
  const tags = ['spaces'];
  const config = { textJson: true };
  const load = async (projectId: string, spaceId: string) => {
    const w = await ctx.repos.webhooks.getBySpace(projectId, spaceId);
    if (!w) throw notFound('Webhook of space', spaceId);
    return w;
  };

  app.post<{ Params: Params; Body: Static<typeof CreateBody> }>(
    '/v1/spaces/:spaceId/webhook',
    {
      config,
      schema: {
        tags,
        summary: 'createWebhook: one webhook per space → {url, secret, isActive}',
        params: SpaceParams,
        body: CreateBody,
        consumes,
        response: { 200: WithSecret, ...errors(409) },
      },
    },
    async (req) => {
      const { projectId } = req.caller;
      const { spaceId } = req.params;
      if (await ctx.repos.webhooks.getBySpace(projectId, spaceId)) {
        throw new AppError('CONFLICT', `Space ${spaceId} already has a webhook; update it with PUT or delete it first`);
      }
      const input: WebhookInput = {
        ...webhookDefaults(),
        name: `space ${spaceId}`,
        description: 'livedigital per-space webhook',
        url: req.body.url,
        events: [...LIVEDIGITAL_EVENTS],
        secret: randomAlnum(32),
        retryPolicy: SPACE_RETRY_POLICY,
        signature: 'body',
        spaces: [spaceId],
        spaceId,
      };
      await checkWebhook(ctx, projectId, { url: input.url });
      try {
        return bare(await ctx.repos.webhooks.create(projectId, input), true);
      } catch (err) {
        // Two creates racing: the unique index on (project, space) lets one through.
        if (await ctx.repos.webhooks.getBySpace(projectId, spaceId)) throw new AppError('CONFLICT', `Space ${spaceId} already has a webhook`);
        throw err;
      }
    },
  );

  app.put<{ Params: Params; Body: Static<typeof UpdateBody> }>(
    '/v1/spaces/:spaceId/webhook',
    {
      config,
      schema: { tags, summary: 'updateWebhook {url, isActive} → {url, isActive}', params: SpaceParams, body: UpdateBody, consumes, response: { 200: Settings, ...errors(404) } },
    },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.spaceId);
      const patch = { ...(req.body.url !== undefined && { url: req.body.url }), ...(req.body.isActive !== undefined && { active: req.body.isActive }) };
      await checkWebhook(ctx, req.caller.projectId, patch, w);
      return bare(found(await ctx.repos.webhooks.update(req.caller.projectId, w.id, patch), 'Space webhook', req.params.spaceId));
    },
  );

  app.get<{ Params: Params }>(
    '/v1/spaces/:spaceId/webhook',
    { schema: { tags, summary: 'getWebhook → {url, isActive}', params: SpaceParams, response: { 200: Settings, ...errors(404) } } },
    async (req) => bare(await load(req.caller.projectId, req.params.spaceId)),
  );

  app.delete<{ Params: Params }>(
    '/v1/spaces/:spaceId/webhook',
    { config, schema: { tags, summary: 'deleteWebhook', params: SpaceParams, response: { 204: NoContent(), ...errors(404) } } },
    async (req, reply) => {
      const w = await load(req.caller.projectId, req.params.spaceId);
      if (!(await ctx.repos.webhooks.delete(req.caller.projectId, w.id))) throw notFound('Space webhook', req.params.spaceId);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: Params }>(
    '/v1/spaces/:spaceId/webhook/refresh-secret',
    {
      config,
      schema: { tags, summary: 'refreshSecret → {url, secret, isActive}; the old secret stops signing at once', params: SpaceParams, response: { 200: WithSecret, ...errors(404) } },
    },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.spaceId);
      const now = Date.now();
      return bare(found(await ctx.repos.webhooks.rotateSecret(req.caller.projectId, w.id, randomAlnum(32), now, now), 'Space webhook', req.params.spaceId), true);
    },
  );
};
export default spaceRoutes;
