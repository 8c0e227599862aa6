import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../../context.js';
import { invalid, type ErrorDetail } from '../../../errors.js';
import { buildEnvelope } from '../../../core/envelope.js';
import { validateTemplate } from '../../../core/templates.js';
import { SIGNATURE_SCHEMES } from '../../../core/signing.js';
import { buildRequest } from '../../../delivery/request.js';
import { unsavedWebhook } from '../../../store/webhooks.js';
import { Nullable, Ok, checkedInCode, ok, ref } from '../../schemas.js';
import { RequestTemplate } from './template-schema.js';
import { checkHeaders } from './webhook-schema.js';

const PreviewBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  request: Type.Optional(checkedInCode(Type.Union([ref(RequestTemplate), Type.Null()]), 'validateTemplate (core/templates.ts)')),
  signature: Type.Optional(Type.Union(SIGNATURE_SCHEMES.map((s) => Type.Literal(s)))),
  secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Default: a sample secret' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  event: Type.Object({
    type: Type.String({ minLength: 1, maxLength: 200 }),
    data: Type.Optional(Type.Unknown()),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  }),
});

const Preview = Type.Object(
  {
    method: Type.String(),
    url: Type.String({ description: 'With the query string a GET template adds' }),
    headers: Type.Record(Type.String(), Type.String(), { description: 'Signature headers included' }),
    body: Nullable(Type.String(), 'The exact bytes; null for GET'),
    missing: Type.Array(Type.String(), { description: 'Placeholders the sample event has no value for (sent empty)' }),
  },
  { description: 'The request a webhook would send for the sample event' },
);

const SAMPLE_SECRET = 'whsec_cHJldmlldy1vbmx5LXNhbXBsZS1zZWNyZXQ=';

/**
 * The exact request a webhook would send for a sample event, without sending it —
 * the dashboard's live preview of a request template (SPEC §4.4).
 */
const webhookPreviewRoutes: RouteModule = (app, ctx) => {
  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/v1/webhooks/preview',
    { schema: { tags: ['webhooks'], summary: 'Render the exact request for a sample event without sending it', body: PreviewBody, response: { 200: Ok(Preview) } } },
    async (req) => {
      const b = req.body;
      const details: ErrorDetail[] = [];
      try {
        if (!/^https?:$/.test(new URL(b.url).protocol)) details.push({ field: 'url', message: 'url must be http(s)' });
      } catch {
        details.push({ field: 'url', message: 'url is not a valid URL' });
      }
      details.push(...checkHeaders(b.headers));
      if (b.request != null) for (const issue of validateTemplate(b.request)) details.push({ ...issue });
      if (details.length) throw invalid(details.map((d) => d.message).join('; '), details);

      const project = (await ctx.repos.projects.get(req.caller.projectId))!;
      const now = Date.now();
      const webhook = unsavedWebhook(
        {
          projectId: project.id,
          url: b.url,
          events: [b.event.type],
          secret: b.secret ?? SAMPLE_SECRET,
          signature: b.signature ?? 'hmac-sha256',
          headers: b.headers ?? {},
          request: b.request ?? null,
        },
        now,
      );
      const payload = buildEnvelope({ id: b.event.id ?? 'evt_preview', type: b.event.type, createdAt: new Date(now).toISOString(), data: b.event.data ?? {} });
      const out = buildRequest(webhook, project, { deliveryId: 'dlv_preview', eventType: b.event.type, payload, attemptNumber: 1, nowMs: now });
      return ok({ method: out.method, url: out.url, headers: out.headers, body: out.body ?? null, missing: out.missing ?? [] });
    },
  );
};
export default webhookPreviewRoutes;
