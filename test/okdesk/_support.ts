/**
 * The rating app's test rig: a fake Okdesk, the Telegram Bot API emulator behind the
 * "blocked the bot" proxy, and a Hookbridge configured for both (short job retries).
 */
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startFakeOkdesk, type FakeOkdesk } from './fake-okdesk.js';
import { blockingProxy, startTelegram, type BlockingProxy, type StoredBotMessage, type TelegramEmulator } from './telegram.js';

export const BOT_TOKEN = '123456:TEST-okdesk-rating-bot';
export const WEBHOOK_SECRET = 'okdesk-webhook-secret-1';

export interface Rig {
  s: TestServer;
  okdesk: FakeOkdesk;
  tg: TelegramEmulator;
  proxy: BlockingProxy;
  stop(): Promise<void>;
}

export function ratingEnv(okdesk: FakeOkdesk, apiRoot: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OKDESK_API_URL: `${okdesk.url}/api/v1/`,
    OKDESK_API_TOKEN: okdesk.token,
    OKDESK_PORTAL_URL: okdesk.url,
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_POLL_INTERVAL_MS: '50',
    WEBHOOK_SECRET,
    HOOKBRIDGE_JOB_RETRY_DELAY_MS: '100',
    HOOKBRIDGE_JOB_MAX_RETRY_DELAY_MS: '400',
    ...extra,
  };
}

export async function startRig(extra: Record<string, string> = {}): Promise<Rig> {
  const okdesk = await startFakeOkdesk();
  const tg = await startTelegram();
  const proxy = await blockingProxy(tg.apiRoot, { blockedChatIds: [] });
  const s = await startTestServer(ratingEnv(okdesk, proxy.apiRoot, extra));
  return {
    s,
    okdesk,
    tg,
    proxy,
    async stop() {
      await s.stop();
      await proxy.close();
      await tg.stop();
      await okdesk.close();
    },
  };
}

/** POSTs an Okdesk webhook the way Okdesk does (JSON, the secret in the URL). */
export async function okdeskWebhook(s: Pick<TestServer, 'url'>, body: unknown, opts: { query?: string; headers?: Record<string, string>; raw?: string } = {}) {
  const q = opts.query ?? `?token=${WEBHOOK_SECRET}`;
  const res = await fetch(`${s.url}/okdesk-webhook${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** Seed 004's status webhook. */
export const seedStatus = (issueId: number, code: string, contactId: number, title = 'Не работает принтер', eventType = 'issue.status_changed') => ({
  event: { event_type: eventType },
  issue: { id: issueId, title, status: { code, name: code }, old_status: { code: 'opened', name: 'Открыта' }, client: { contact: { id: contactId }, company: { id: 147 } } },
});

/** What real Okdesk sends on a status change: `new_ticket_status`, ids as strings. */
export const realStatus = (issueId: number, code: string, contactId: number, title = 'Не работает принтер') => ({
  event: { event_type: 'new_ticket_status', author: { id: '1', type: 'employee' }, old_status: { code: 'opened', name: 'Открыта' }, new_status: { code, name: code } },
  issue: {
    id: String(issueId),
    title,
    type: { code: 'incident', name: 'Инцидент' },
    status: { code, name: code },
    client: { contact: { id: String(contactId), first_name: 'Иван' }, company: { id: '147' } },
    created_at: new Date(Date.now() - 3600_000).toISOString(),
  },
});

export const withKeyboard = (m: StoredBotMessage) => (m.replyMarkup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard;
