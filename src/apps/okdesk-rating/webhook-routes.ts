/**
 * The app's own endpoints outside /v1: the Okdesk webhook at WEBHOOK_PATH (seed 004:
 * GET answers readiness, POST takes the events) and, in webhook mode, the Telegram
 * updates endpoint. Both answer plain JSON `{message}`, read by Okdesk's and
 * Telegram's delivery logs rather than by API clients.
 */
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifySchema } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import { Type, type TProperties } from '@sinclair/typebox';
import type { RouteModule } from '../../context.js';
import { safeEqual } from '../../core/signing.js';
import type { OkdeskRatingConfig } from './config.js';
import type { Intake } from './intake.js';
import { nestsDeeperThan } from '../../core/json-depth.js';

const BODY_LIMIT = 1024 * 1024;

const tags = ['okdesk-rating'];
const message = (description: string, more: TProperties = {}) => Type.Object({ message: Type.String(), ...more }, { description });
const Taken = message('Taken: stored, and a rating asked for when the status is a resolution', {
  id: Type.String({ description: 'The stored webhook (GET /v1/okdesk/webhooks)' }),
  ignored: Type.Optional(Type.Literal(true, { description: 'An event the app does not use' })),
  ratingId: Type.Optional(Type.String({ description: 'The rating request this resolution made' })),
});

/** The secret in webhook mode: TELEGRAM_WEBHOOK_SECRET, else one derived from the bot token. */
export const telegramSecret = (c: OkdeskRatingConfig) => c.telegramWebhookSecret ?? createHash('sha256').update(`hookbridge:${c.telegramBotToken}`).digest('hex');

export const okdeskWebhookRoutes =
  (c: OkdeskRatingConfig, intake: Intake): RouteModule =>
  async (app) => {
    await app.register(async (scope: FastifyInstance) => {
      // Okdesk's webhook form sends JSON; anything else is read as text and refused as not JSON.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
      // The intake checks the payload and the secret; the schemas below only document them.
      scope.setValidatorCompiler(() => () => true);
      scope.setErrorHandler((err: FastifyError, req, reply) => {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ message: `The webhook body is larger than ${BODY_LIMIT} bytes` });
        // A Content-Type header that does not parse (`json`, `a/b c`): every well-formed one is read.
        if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          req.log.info({ content_type: req.headers['content-type'] }, 'okdesk webhook refused: malformed Content-Type');
          return reply.status(415).send({ message: 'The Content-Type header is malformed: Okdesk sends application/json' });
        }
        req.log.error({ err }, 'okdesk webhook failed');
        return reply.status(500).send({ message: 'Hookbridge could not take the webhook; see its log' });
      });

      scope.get(
        c.webhookPath,
        { schema: { tags, security: [], summary: 'Okdesk webhook readiness (seed 004)', response: { 200: message('Ready', { path: Type.String() }) } } },
        async () => ({ message: 'Webhook endpoint is ready', path: c.webhookPath }),
      );

      const post: FastifySchema = {
        tags,
        security: [],
        summary: 'The Okdesk webhook (seed 004, WEBHOOK_PATH): status changes, new issues and comments',
        querystring: Type.Object({ token: Type.Optional(Type.String({ description: 'WEBHOOK_SECRET (or send X-Webhook-Secret)' })) }),
        body: Type.Unknown({ description: 'The Okdesk event as Okdesk sends it (seed 004 or apidocs.okdesk.ru/webhookdoc)' }),
        response: {
          202: Taken,
          400: message('The body is not JSON or not an Okdesk event', { id: Type.String() }),
          401: message('WEBHOOK_SECRET is set and the request does not carry it'),
          413: message('The body is larger than 1 MiB'),
          415: message('The Content-Type header does not parse'),
          500: message('Hookbridge could not take it (see its log)'),
        },
      };
      scope.post(c.webhookPath, { bodyLimit: BODY_LIMIT, schema: post }, async (req, reply) => {
        if (c.webhookSecret) {
          const given = (req.query as Record<string, unknown>).token ?? req.headers['x-webhook-secret'];
          if (typeof given !== 'string' || given === '' || !safeEqual(given, c.webhookSecret)) {
            req.log.info({ path: c.webhookPath, token: given === undefined ? 'missing' : 'wrong' }, 'okdesk webhook refused: WEBHOOK_SECRET');
            return reply.status(401).send({ message: 'Set the webhook URL in Okdesk to …?token=<WEBHOOK_SECRET> (or send the X-Webhook-Secret header)' });
          }
        }
        const raw = typeof req.body === 'string' ? req.body : '';
        let json: unknown;
        try {
          // Nested past MAX_JSON_DEPTH: read as not JSON (storing it would overflow JSON.stringify).
          json = raw.trim() === '' || nestsDeeperThan(raw) ? undefined : JSON.parse(raw);
        } catch {
          json = undefined;
        }
        const a = await intake.take(raw, json);
        return reply.status(a.status).send(a.body);
      });
    });
  };

/** Webhook mode: Telegram POSTs updates here, with our secret in X-Telegram-Bot-Api-Secret-Token. */
export const telegramWebhookRoutes =
  (c: OkdeskRatingConfig, bot: Bot): RouteModule =>
  async (app) => {
    const path = new URL(c.telegramWebhookUrl!).pathname;
    const handle = webhookCallback(bot, 'fastify', { secretToken: telegramSecret(c) });
    app.post(path, { schema: { hide: true } }, handle as never);
  };
