/**
 * The running Okdesk rating app: the Okdesk client, the Telegram bot (grammY) and their
 * routes and jobs. Loaded by index.ts only when the app is on, so a server without it
 * never loads grammY.
 */
import { Api } from 'grammy';
import type { AppContext } from '../../context.js';
import type { AppInstance } from '../app.js';
import type { OkdeskRatingConfig } from './config.js';
import { okdeskStore } from './store.js';
import { createOkdeskClient } from './okdesk-client.js';
import { createIntake } from './intake.js';
import { ratingJobs } from './jobs.js';
import { createBot, pollUpdates } from './bot.js';
import { okdeskWebhookRoutes, telegramSecret, telegramWebhookRoutes } from './webhook-routes.js';
import { ratingApiRoutes } from './api-routes.js';

export function createOkdeskRating(ctx: AppContext, c: OkdeskRatingConfig): AppInstance {
  const projectId = ctx.defaultProjectId();
  const logger = ctx.logger.child({ app: 'okdesk-rating' });
  const store = okdeskStore(ctx.repos.store.db);
  const okdesk = createOkdeskClient({ apiUrl: c.okdeskApiUrl, apiToken: c.okdeskApiToken });
  const api = new Api(c.telegramBotToken, { apiRoot: c.telegramApiRoot });
  const intake = createIntake(ctx, store, projectId, c.ratingStatuses);
  const bot = createBot({ ctx, store, okdesk, projectId, token: c.telegramBotToken, apiRoot: c.telegramApiRoot, logger });
  const webhookMode = c.telegramWebhookUrl !== undefined;
  let polling: ReturnType<typeof pollUpdates> | undefined;
  const v1Routes = ratingApiRoutes(store);
  const okdeskRoutes = okdeskWebhookRoutes(c, intake);
  return {
    root: webhookMode
      ? async (app, cx) => {
          await okdeskRoutes(app, cx);
          await telegramWebhookRoutes(c, bot)(app, cx);
        }
      : okdeskRoutes,
    v1: v1Routes,
    jobs: ratingJobs({ ctx, store, okdesk, api, projectId }),
    actions: {
      'okdesk-rating': {
        async handle(_cx, _action, req) {
          const a = await intake.take(req.raw.toString('utf8'), req.json);
          return { result: a.body, answer: { status: a.status, body: a.body } };
        },
        async check(_cx, sourceProject) {
          return sourceProject === projectId ? [] : [{ field: 'action.type', message: 'the okdesk-rating app works for the default project only' }];
        },
      },
    },
    paths: {
      [c.webhookPath]: "the Okdesk rating app's path (WEBHOOK_PATH)",
      ...(webhookMode && { [new URL(c.telegramWebhookUrl!).pathname]: "the Telegram bot's webhook path (TELEGRAM_WEBHOOK_URL)" }),
    },
    async start({ runsWorker }) {
      if (webhookMode) {
        await api.setWebhook(c.telegramWebhookUrl!, { secret_token: telegramSecret(c), allowed_updates: ['message', 'callback_query'] }).catch((err) => {
          logger.error({ err }, 'telegram setWebhook failed; updates will not arrive until it succeeds (restart to retry)');
        });
      } else if (runsWorker) {
        polling = pollUpdates(bot, { intervalMs: c.telegramPollIntervalMs, logger });
      }
      logger.info({ webhook_path: c.webhookPath, telegram: webhookMode ? 'webhook' : runsWorker ? 'polling' : 'off in this process' }, 'okdesk rating app started');
    },
    async stop() {
      await polling?.stop();
    },
  };
}
