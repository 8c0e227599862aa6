/**
 * Where the meetings app meets HTTP: the env-configured webhook for the default
 * project at MEETINGS_PATH (an encapsulated plugin with its own body parser, CORS
 * and plain `{message, error}` errors, because the Mattermost plugin, not an API
 * client, reads them), and the `meetings` action for sources made through /v1/sources.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Agent } from 'undici';
import type { AppContext, RouteModule } from '../../context.js';
import type { ActionHandler } from '../../inbound/actions.js';
import { corsFor, preflightHeaders } from '../../inbound/limits.js';
import { guardedConnector } from '../../delivery/ssrf.js';
import { AppError } from '../../errors.js';
import { addJsonParsers } from '../../http/json-body.js';
import { safeEqual } from '../../core/signing.js';
import type { MeetingsConfig } from './config.js';
import type { MeetingsRepo } from './store.js';
import { errorAnswer, handleMeetingRequest, recordRefusal, type MeetingAnswer, type MeetingsApp } from './handler.js';
import { MeetingRequestBody } from './request.js';
import { DateTime, component, ref } from '../../http/schemas.js';
import type { MeetingProvider } from './providers/index.js';
import { mockProvider } from './providers/mock.js';
import { ktalkProvider } from './providers/ktalk.js';

const MeetingRoom = component(
  'MeetingRoom',
  Type.Object(
    {
      room_url: Type.String({ description: 'Where to join' }),
      meeting_url: Type.String({ description: 'The same URL (the published plugin reads this one first)' }),
      room_id: Type.String(),
      room_name: Type.String({ description: 'The room title' }),
      created_at: DateTime(),
      status: Type.Literal('success'),
    },
    { description: 'The room (a repeat click inside the window answers the room already made)' },
  ),
);

const MeetingError = component(
  'MeetingError',
  Type.Object(
    {
      status: Type.Literal('error'),
      error: Type.String({ description: 'The HTTP reason phrase' }),
      message: Type.String({ description: 'What happened and what to do; the plugin shows it to the user' }),
    },
    { description: 'The plugin shows message (or error) to the user' },
  ),
);

const failure = (description: string) => ref(MeetingError, description);

/** Meeting requests are small; the published plugin's largest (participants listed) stays far below. */
const BODY_LIMIT = 256 * 1024;

interface ProviderSettings {
  provider: 'mock' | 'ktalk';
  space?: string;
  apiUrl?: string;
  apiKey?: string;
}

function buildProvider(s: ProviderSettings, dispatcher?: Agent): MeetingProvider | string {
  if (s.provider === 'mock') return mockProvider(s.space);
  if (!s.space || !s.apiKey) return 'Kontur.Talk is not configured: a space and an API key are required';
  const apiUrl = (s.apiUrl ?? `https://${s.space}.ktalk.ru/api`).replace(/\/$/, '');
  return ktalkProvider({ apiUrl, apiKey: s.apiKey, space: s.space, dispatcher });
}

const send = (reply: FastifyReply, a: MeetingAnswer) => reply.status(a.status).headers(a.headers).send(a.body);

async function meetingsPlugin(scope: FastifyInstance, ctx: AppContext, m: MeetingsConfig, repo: MeetingsRepo, app: MeetingsApp | string) {
  const history = { projectId: ctx.defaultProjectId(), sourceId: null, repo, providerName: m.provider };
  /** Refused before the handler ran: answered, and kept in the history with its reason. */
  const refuse = async (reply: FastifyReply, req: FastifyRequest, answer: MeetingAnswer) => send(reply, await recordRefusal(history, answer, req.body, req.log));

  // The API's parser, with this webhook's body limit; the POST route takes JSON sent as text/plain too.
  scope.removeAllContentTypeParsers();
  addJsonParsers(scope, { bodyLimit: BODY_LIMIT });
  // The handler validates (one check for this route and for source actions); the schema documents.
  scope.setValidatorCompiler(() => () => true);
  scope.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError && err.code === 'INVALID_JSON') return refuse(reply, req, errorAnswer(400, err.message));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || (err instanceof AppError && err.code === 'UNSUPPORTED_MEDIA_TYPE')) return refuse(reply, req, errorAnswer(415, 'Send the meeting request as JSON (Content-Type: application/json)'));
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(reply, req, errorAnswer(413, 'The meeting request is too large'));
    // Any other body the parser refused (e.g. nested too deep): a 400 the plugin can show.
    if (err instanceof AppError && err.status < 500) return refuse(reply, req, errorAnswer(400, err.message));
    req.log.error({ err }, 'meeting request failed');
    return send(reply, errorAnswer(500, 'Hookbridge could not create the meeting because of an internal error; the administrator will find it in the Hookbridge log.'));
  });

  // Before the body is read: CORS (seed 000 §Security 2) headers go on every answer, errors included.
  scope.addHook('onRequest', async (req, reply) => {
    const c = corsFor(m.allowedOrigins, req.headers.origin);
    reply.headers(c.headers);
    if (c.kind === 'refused') {
      // A browser on another site could still POST text/plain without a preflight: refuse it here.
      req.log.warn({ origin: req.headers.origin }, 'meeting request from an origin not in MEETINGS_ALLOWED_ORIGINS');
      return refuse(reply, req, errorAnswer(403, `Requests from ${req.headers.origin} are not allowed (MEETINGS_ALLOWED_ORIGINS)`));
    }
    if (req.method !== 'POST' || !m.token) return;
    const given = (req.query as Record<string, unknown>).token;
    if (typeof given !== 'string' || given === '') {
      return refuse(reply, req, errorAnswer(401, 'This webhook needs its token: set the plugin\'s webhook URL to …?token=<MEETINGS_TOKEN>'));
    }
    if (!safeEqual(given, m.token)) return refuse(reply, req, errorAnswer(401, 'The token in the webhook URL is not valid; check the plugin\'s webhook URL'));
  });

  // A browser opening the webhook URL (or a misconfigured GET) learns what it takes.
  scope.get(m.path, { schema: { hide: true } }, async (_req, reply) =>
    send(reply, { ...errorAnswer(405, 'This webhook takes POST requests from the Mattermost plugin'), headers: { allow: 'POST, OPTIONS' } }),
  );

  scope.options(m.path, { schema: { hide: true } }, async (_req, reply) =>
    // Exactly what seed 000 asks: POST, OPTIONS and Content-Type (requested extras are not echoed).
    reply.status(204).headers(preflightHeaders({}, undefined)).send(),
  );

  scope.post(
    m.path,
    {
      bodyLimit: BODY_LIMIT,
      // The plugin sends application/json, but curl users and n8n-style tools often send JSON as text/plain.
      config: { textJson: true },
      schema: {
        tags: ['meetings'],
        summary: 'Mattermost "Start Kontur Meeting" webhook (seed 000): creates a room → {room_url, meeting_url, room_id, room_name, created_at, status}',
        security: [],
        body: MeetingRequestBody,
        consumes: ['application/json', 'text/plain'],
        querystring: Type.Object({ token: Type.Optional(Type.String({ description: 'MEETINGS_TOKEN, when it is set' })) }),
        response: {
          200: ref(MeetingRoom),
          400: failure('The body is not JSON, lacks channel_id or user_id, or holds a NUL character in a field the history keeps'),
          401: failure('MEETINGS_TOKEN is set and ?token= is missing or wrong'),
          403: failure('The Origin is not in MEETINGS_ALLOWED_ORIGINS'),
          413: failure('The body is too large'),
          415: failure('The body is not JSON'),
          429: failure('More new rooms than MEETINGS_RATE_LIMIT a minute (Retry-After says when)'),
          500: failure('The app is misconfigured (see the Hookbridge log)'),
          502: failure('The meeting provider failed or refused'),
          503: failure('The provider asks to come back later, or the same click is still being served'),
          504: failure('The provider did not answer in time'),
        },
      },
    },
    async (req, reply) => {
      if (typeof app === 'string') {
        req.log.error({ problem: app }, 'meetings app misconfigured');
        return send(reply, errorAnswer(500, `The meetings app is misconfigured: ${app}.`));
      }
      return send(reply, await handleMeetingRequest(ctx, app, req.body, req.log));
    },
  );
}

/** The env-configured app at MEETINGS_PATH, for the default project. */
export const meetingsRoutes =
  (m: MeetingsConfig, repo: MeetingsRepo): RouteModule =>
  async (app, ctx) => {
    const provider = buildProvider({ provider: m.provider, space: m.ktalkSpace, apiUrl: m.ktalkApiUrl, apiKey: m.ktalkApiKey });
    const settings: MeetingsApp | string =
      typeof provider === 'string' ? provider : { projectId: ctx.defaultProjectId(), sourceId: null, provider, rateLimit: m.rateLimit, repo };
    await app.register(async (scope) => meetingsPlugin(scope, ctx, m, repo, settings));
  };

// ---- `{type: "meetings", …}` actions of sources made through /v1/sources -------------

const guarded = new Map<boolean, Agent>();
/** An API user chose this URL, so it gets the delivery SSRF guard (the env's KTALK_API_URL is trusted). */
const guardedAgent = (allowPrivate: boolean) => {
  let a = guarded.get(allowPrivate);
  if (!a) guarded.set(allowPrivate, (a = new Agent({ connect: guardedConnector(allowPrivate, { timeout: 4000 }) })));
  return a;
};

const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Action settings: `provider` (mock|ktalk), `space`, `apiUrl`, `apiKey`, `rateLimit`
 * (new rooms per user per minute). Hazard: the operator's KTALK_API_KEY only ever goes
 * to the operator's own Talk, and only for the default project's sources — a source
 * that names another space or URL, or belongs to another project, brings its own key,
 * and its requests go through the SSRF guard.
 */
export function appFromAction(
  ctx: AppContext,
  m: MeetingsConfig,
  repo: MeetingsRepo,
  projectId: string,
  sourceId: string,
  action: Record<string, unknown>,
): MeetingsApp | string {
  const kind = action.provider ?? m.provider;
  if (kind !== 'mock' && kind !== 'ktalk') return `provider must be mock or ktalk, not ${JSON.stringify(kind)}`;
  const ownSpace = str(action.space);
  const ownUrl = str(action.apiUrl);
  if (ownSpace && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(ownSpace)) return 'space must be a Kontur.Talk space name (lowercase letters, digits and -)';
  const operatorTalk = !ownSpace && !ownUrl && projectId === ctx.defaultProjectId();
  const space = ownSpace ?? (operatorTalk || kind === 'mock' ? m.ktalkSpace : undefined);
  const apiUrl = ownUrl ?? (operatorTalk ? m.ktalkApiUrl : undefined);
  const apiKey = str(action.apiKey) ?? (operatorTalk ? m.ktalkApiKey : undefined);
  const provider = buildProvider({ provider: kind, space, apiUrl, apiKey }, operatorTalk ? undefined : guardedAgent(ctx.config.allowPrivateTargets));
  if (typeof provider === 'string') return provider;
  const rl = action.rateLimit;
  const rateLimit = typeof rl === 'number' && Number.isInteger(rl) && rl >= 1 ? rl : m.rateLimit;
  return { projectId, sourceId, provider, rateLimit, repo };
}

export const meetingsAction =
  (m: MeetingsConfig, repo: MeetingsRepo): ActionHandler =>
  async (ctx, action, req) => {
  const log = ctx.logger.child({ source_id: req.sourceId, inbound_request_id: req.id });
  const app = appFromAction(ctx, m, repo, req.projectId, req.sourceId, action);
  let answer: MeetingAnswer;
  if (typeof app === 'string') {
    log.error({ problem: app }, 'meetings source misconfigured');
    answer = errorAnswer(500, `The meetings source is misconfigured: ${app}.`);
  } else if (req.json === undefined && req.raw.length > 0) {
    answer = errorAnswer(400, 'The body is not valid JSON: send a JSON object with channel_id and user_id');
  } else {
    answer = await handleMeetingRequest(ctx, app, req.json, log);
  }
  return { result: { httpStatus: answer.status, ...answer.body }, answer };
};
