/**
 * The bot in webhook mode (TELEGRAM_WEBHOOK_URL): at start the app registers its own URL
 * and secret with Telegram (setWebhook), and its updates endpoint takes only updates that
 * carry that secret in X-Telegram-Bot-Api-Secret-Token. The emulator never sends that
 * header (telegram.ts), so the test POSTs the Update itself, as Telegram would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_TOKEN, startRig, type Rig } from './_support.js';
import { freePort, sleep, until } from '../helpers/wait.js';

const TG_SECRET = 'tg-hook-secret_0123456789';
const CHAT = 601;

let rig: Rig;
let hookUrl: string;
let updateId = 9000;

/** A private-chat /start, as Telegram sends it. */
function startUpdate(chatId = CHAT) {
  const from = { id: chatId, is_bot: false, first_name: 'Пётр', language_code: 'ru' };
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      from,
      chat: { id: chatId, type: 'private', first_name: 'Пётр' },
      text: '/start',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    },
  };
}

function postUpdate(update: unknown, secret?: string) {
  return fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== undefined && { 'x-telegram-bot-api-secret-token': secret }) },
    body: JSON.stringify(update),
    signal: AbortSignal.timeout(15_000),
  });
}

const greetings = (chat = CHAT) => rig.tg.botMessages(BOT_TOKEN, chat).filter((m) => /поделитесь номером/.test(m.text));

beforeAll(async () => {
  const port = await freePort();
  hookUrl = `http://127.0.0.1:${port}/telegram/hook`;
  rig = await startRig({ PORT: String(port), TELEGRAM_WEBHOOK_URL: hookUrl, TELEGRAM_WEBHOOK_SECRET: TG_SECRET });
  expect(rig.s.url).toBe(`http://127.0.0.1:${port}`);
});
afterAll(async () => {
  await rig?.stop();
});

describe('Telegram webhook mode', () => {
  it('registers its own URL and secret with Telegram at start', async () => {
    // telegram-test-api keeps what setWebhook received per bot token (not a public field).
    const hooks = (rig.tg.server as unknown as { webhooks?: Record<string, { url: string; secret_token?: string }> }).webhooks;
    if (!hooks) return; // this emulator version does not expose it
    await until('setWebhook to reach the emulator', 5000, () => hooks[BOT_TOKEN] !== undefined);
    expect(hooks[BOT_TOKEN]).toMatchObject({ url: hookUrl, secret_token: TG_SECRET });
  });

  it('an update without the secret header is refused and the bot does not answer', async () => {
    const res = await postUpdate(startUpdate());
    expect([401, 403]).toContain(res.status);
    await res.arrayBuffer();
    const wrong = await postUpdate(startUpdate(), 'not-the-secret');
    expect([401, 403]).toContain(wrong.status);
    await wrong.arrayBuffer();
    await sleep(500); // an answer, if any, would be on its way by now
    expect(rig.tg.botMessages(BOT_TOKEN, CHAT)).toEqual([]);
  });

  it('with the right secret the update is taken and the user gets the greeting', async () => {
    const res = await postUpdate(startUpdate(), TG_SECRET);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await until('the greeting in Telegram', 5000, () => greetings().length > 0);
    const greeting = greetings()[0]!;
    expect((greeting.replyMarkup as any).keyboard[0][0]).toMatchObject({ request_contact: true });
    await sleep(300);
    expect(rig.tg.botMessages(BOT_TOKEN, CHAT)).toHaveLength(1); // the refused updates left no trace
  });

  it('the bot does not also poll: an update stored in the emulator stays unread', async () => {
    // Real Telegram refuses getUpdates while a webhook is set; the emulator would hand this
    // stored /start to a bot that polled anyway, and mark it read.
    const stored = {
      time: Date.now(),
      botToken: BOT_TOKEN,
      updateId: ++updateId,
      messageId: updateId,
      isRead: false,
      message: rig.tg.client(BOT_TOKEN, { chatId: 602, userId: 602 }).makeCommand('/start'),
    };
    rig.tg.server.storage.userMessages.push(stored as never);
    await sleep(600); // the poll interval is 50 ms
    expect(stored.isRead).toBe(false);
    expect(rig.tg.botMessages(BOT_TOKEN, 602)).toEqual([]);
  });
});
