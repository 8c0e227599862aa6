import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { found, notFound } from '../../../errors.js';
import { generateSecret, generateEd25519Secret, isEd25519Secret } from '../../../core/signing.js';
import { IdParams, NoContent, Ok, PageQuery, Paged, errors, ok, page, ref } from '../../schemas.js';
import { CreateWebhook, UpdateWebhook, WebhookView, checkWebhook, toInput, toPatch, webhookView } from './webhook-schema.js';

const RotateBody = Type.Object({
  secret: Type.Optional(Type.String({ minLength: 8, maxLength: 512, description: 'Generated when absent' })),
  gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, description: 'Seconds the old secret keeps signing. Default: 86400' })),
});

/** Webhook CRUD and secret rotation (SPEC §3, seed 001). */
const webhookRoutes: RouteModule = (app, ctx) => {
  const tags = ['webhooks'];
  const load = async (projectId: string, id: string) => {
    const w = await ctx.repos.webhooks.get(projectId, id);
    if (!w || w.spaceId) throw notFound('Webhook', id);
    return w;
  };

  app.post<{ Body: CreateWebhook }>(
    '/v1/webhooks',
    {
      schema: {
        tags,
        summary: 'Create a webhook; the secret is shown in full only here and on rotate',
        body: CreateWebhook,
        response: { 201: Ok(ref(WebhookView), 'The webhook, with its secret in full') },
      },
    },
    async (req, reply) => {
      const input = toInput(req.body);
      await checkWebhook(ctx, req.caller.projectId, input);
      const w = await ctx.repos.webhooks.create(req.caller.projectId, input);
      return reply.status(201).send(ok(webhookView(w, true)));
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/webhooks',
    { schema: { tags, summary: 'List webhooks (secrets masked)', querystring: PageQuery, response: { 200: Paged(ref(WebhookView)) } } },
    async (req) => {
      const { items, total } = await ctx.repos.webhooks.list(req.caller.projectId, { ...req.query, spaces: false });
      return page(items.map((w) => webhookView(w)), total, req.query);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/webhooks/:id',
    { schema: { tags, summary: 'Get a webhook (secret masked)', params: IdParams, response: { 200: Ok(ref(WebhookView)), ...errors(404) } } },
    async (req) => ok(webhookView(await load(req.caller.projectId, req.params.id))),
  );

  app.put<{ Params: Static<typeof IdParams>; Body: UpdateWebhook }>(
    '/v1/webhooks/:id',
    { schema: { tags, summary: 'Update a webhook (partial)', params: IdParams, body: UpdateWebhook, response: { 200: Ok(ref(WebhookView)), ...errors(404) } } },
    async (req) => {
      const existing = await load(req.caller.projectId, req.params.id);
      const patch = toPatch(req.body ?? {}, existing);
      await checkWebhook(ctx, req.caller.projectId, patch, existing);
      const w = await ctx.repos.webhooks.update(req.caller.projectId, existing.id, patch);
      return ok(webhookView(found(w, 'Webhook', existing.id)));
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/webhooks/:id',
    { schema: { tags, summary: 'Delete a webhook', params: IdParams, response: { 204: NoContent(), ...errors(404) } } },
    async (req, reply) => {
      const w = await load(req.caller.projectId, req.params.id);
      // Deleted by another request meanwhile: this one came second.
      if (!(await ctx.repos.webhooks.delete(req.caller.projectId, w.id))) throw notFound('Webhook', w.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RotateBody> | undefined }>(
    '/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Issue a new secret; the old one keeps signing (both signatures sent) for the grace period',
        params: IdParams,
        body: Type.Optional(RotateBody),
        response: { 200: Ok(ref(WebhookView), 'The webhook, with its new secret in full'), ...errors(404) },
      },
    },
    async (req) => {
      const w = await load(req.caller.projectId, req.params.id);
      // A new key of the same kind: an ed25519 key pair stays one.
      const next = req.body?.secret ?? (isEd25519Secret(w.secret) ? generateEd25519Secret() : generateSecret());
      await checkWebhook(ctx, req.caller.projectId, { secret: next }, w);
      const graceMs = req.body?.gracePeriod !== undefined ? req.body.gracePeriod * 1000 : ctx.config.rotationGraceMs;
      const now = Date.now();
      const rotated = await ctx.repos.webhooks.rotateSecret(req.caller.projectId, w.id, next, now + graceMs, now);
      return ok(webhookView(found(rotated, 'Webhook', w.id), true));
    },
  );
};
export default webhookRoutes;
