import type { EnvReader } from '../../core/env.js';

/** Seed 004's variables, plus where the Telegram Bot API lives and which statuses ask for a rating. */
export interface OkdeskRatingConfig {
  /** Where Okdesk posts its webhooks. Default: /okdesk-webhook */
  webhookPath: string;
  /** When set, a webhook must carry it as `?token=` or `X-Webhook-Secret`. */
  webhookSecret?: string;
  /** Okdesk account base URL (`https://acme.okdesk.ru`, with or without `/api/v1`). */
  okdeskApiUrl: string;
  okdeskApiToken: string;
  /** For links to issues in messages. */
  okdeskPortalUrl?: string;
  telegramBotToken: string;
  /** Default: https://api.telegram.org */
  telegramApiRoot: string;
  /** Webhook mode when set (else long polling). */
  telegramWebhookUrl?: string;
  /** Checked against `X-Telegram-Bot-Api-Secret-Token` in webhook mode. Default: derived from the bot token. */
  telegramWebhookSecret?: string;
  /** Least time between two getUpdates calls that returned nothing (ms). Default: 1000 */
  telegramPollIntervalMs: number;
  /** Status codes that ask the client for a rating. */
  ratingStatuses: string[];
}

export const DEFAULT_RATING_STATUSES = ['resolved', 'closed', 'completed', 'done', 'finished', 'solved'];

/** On when OKDESK_API_URL is set; then the Okdesk token and the bot token are required. */
export function okdeskRatingConfig(env: EnvReader): OkdeskRatingConfig | undefined {
  const okdeskApiUrl = env.url('OKDESK_API_URL', 'https://acme.okdesk.ru/api/v1/');
  if (env.opt('OKDESK_API_URL') === undefined) return undefined;
  const { problems } = env;
  const okdeskApiToken = env.opt('OKDESK_API_TOKEN');
  if (!okdeskApiToken) problems.push('OKDESK_API_TOKEN: required with OKDESK_API_URL (Okdesk → Settings → API: the API token)');
  const telegramBotToken = env.opt('TELEGRAM_BOT_TOKEN');
  if (!telegramBotToken) problems.push('TELEGRAM_BOT_TOKEN: required with OKDESK_API_URL (the token @BotFather gave your bot)');
  else if (!/^\d+:[A-Za-z0-9_-]+$/.test(telegramBotToken)) problems.push('TELEGRAM_BOT_TOKEN: expected a bot token like 123456:ABC-DEF… (from @BotFather)');
  const secret = env.opt('TELEGRAM_WEBHOOK_SECRET');
  if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) problems.push('TELEGRAM_WEBHOOK_SECRET: 1–256 characters of A-Z, a-z, 0-9, _ and -');
  return {
    webhookPath: env.path('WEBHOOK_PATH', '/okdesk-webhook'),
    webhookSecret: env.opt('WEBHOOK_SECRET'),
    okdeskApiUrl: okdeskApiUrl ?? '',
    okdeskApiToken: okdeskApiToken ?? '',
    okdeskPortalUrl: env.url('OKDESK_PORTAL_URL', 'https://acme.okdesk.ru'),
    telegramBotToken: telegramBotToken ?? '',
    telegramApiRoot: env.url('TELEGRAM_API_ROOT', 'https://api.telegram.org') ?? 'https://api.telegram.org',
    telegramWebhookUrl: env.url('TELEGRAM_WEBHOOK_URL', 'https://hooks.example.com/telegram'),
    telegramWebhookSecret: secret,
    telegramPollIntervalMs: env.int('TELEGRAM_POLL_INTERVAL_MS', 1000, 0, 60_000),
    ratingStatuses: env.list('RATING_STATUSES', DEFAULT_RATING_STATUSES).map((s) => s.toLowerCase()),
  };
}
