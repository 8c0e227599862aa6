/**
 * Pins down what the Telegram Bot API emulator (telegram-test-api) does with grammY,
 * so the bot tests can rely on it. The findings are written up at the top of telegram.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, Bot, GrammyError } from 'grammy';
import { blockingProxy, pressButton, sendCommand, shareContact, startTelegram, type TelegramEmulator } from './telegram.js';

const TOKEN = '123456:emulator-test';
let tg: TelegramEmulator;
let api: Api;

beforeAll(async () => {
  tg = await startTelegram();
  api = new Api(TOKEN, { apiRoot: tg.apiRoot });
});
afterAll(async () => {
  await tg?.stop();
});

describe('bot → user', () => {
  it('sendMessage with an inline keyboard, then editMessageText and answerCallbackQuery', async () => {
    const user = tg.client(TOKEN, { chatId: 501, userId: 501 });
    const keyboard = { inline_keyboard: [[{ text: '⭐ Ужасно (1)', callback_data: 'rate:rtg_x:1' }]] };
    const sent = await api.sendMessage(501, 'Оцените заявку', { reply_markup: keyboard });
    expect(sent.message_id).toBeGreaterThan(0);
    expect(sent.chat.id).toBe(501);
    expect(sent.reply_markup).toEqual(keyboard);

    const got = await user.getUpdates();
    expect(got.result).toHaveLength(1);
    const stored = got.result[0] as unknown as { messageId: number; message: { chat_id: number; text: string; reply_markup: unknown } };
    expect(stored.messageId).toBe(sent.message_id);
    expect(stored.message.text).toBe('Оцените заявку');
    expect(stored.message.reply_markup).toEqual(keyboard);

    const thanks = { inline_keyboard: [[{ text: 'Создать новую заявку', callback_data: 'new_issue' }]] };
    const edited = await api.editMessageText(501, sent.message_id, 'Спасибо!', { reply_markup: thanks });
    expect(edited).toBeNull(); // the emulator answers result: null, not the edited Message
    expect(tg.botMessages(TOKEN, 501)).toEqual([{ messageId: sent.message_id, chatId: '501', text: 'Спасибо!', replyMarkup: thanks }]);
    // An edit of a message already read is not delivered again to the client.
    await expect(tg.client(TOKEN, { chatId: 501, timeout: 300 }).getUpdates()).rejects.toThrow(/did not get new updates/);

    // Editing a message that does not exist is silently accepted (real Telegram: 400).
    await expect(api.editMessageText(501, 999_999, 'x')).resolves.toBeNull();
    await expect(api.answerCallbackQuery('1', { text: 'Спасибо!' })).resolves.toBeNull();
  });

  it('a reply keyboard with request_contact reaches the client as sent', async () => {
    const user = tg.client(TOKEN, { chatId: 502 });
    const markup = { keyboard: [[{ text: '📱 Поделиться номером телефона', request_contact: true }]], resize_keyboard: true };
    const sent = await api.sendMessage(502, 'Здравствуйте!', { reply_markup: markup });
    expect(sent.reply_markup).toBeUndefined(); // only inline markup is echoed back to the bot
    const got = await user.getUpdates();
    expect((got.result[0] as unknown as { message: { reply_markup: unknown } }).message.reply_markup).toEqual(markup);
  });

  it('methods the emulator lacks fail in grammY', async () => {
    await expect(api.setMyCommands([{ command: 'start', description: 'x' }])).rejects.toThrow();
    await expect(api.sendChatAction(501, 'typing')).rejects.toThrow();
  });
});

describe('user → bot', () => {
  it('a command, a shared contact and a button press arrive as Telegram updates', async () => {
    const user = tg.client(TOKEN, { chatId: 601, userId: 601, firstName: 'Иван' });
    await sendCommand(user, '/start');
    await shareContact(user, { phone: '+7 912 345-67-89' });
    await shareContact(user, { phone: '+79990000000', userId: 777 });
    await pressButton(user, 'rate:rtg_abc:4', 42);

    const updates = await api.getUpdates({ offset: 0, timeout: 0 });
    expect(updates).toHaveLength(4);
    const [cmd, own, other, press] = updates;
    expect(cmd!.message).toMatchObject({ text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }], chat: { id: 601 }, from: { id: 601 } });
    expect(own!.message!.contact).toEqual({ phone_number: '+7 912 345-67-89', first_name: 'Иван', user_id: 601 });
    expect(own!.message!.text).toBeUndefined();
    expect(other!.message!.contact!.user_id).toBe(777);
    expect(press!.callback_query).toMatchObject({ data: 'rate:rtg_abc:4', from: { id: 601 }, message: { message_id: 42, chat: { id: 601 } } });
    expect(typeof press!.callback_query!.id).toBe('string');
    // Read updates are gone; the offset is ignored.
    expect(await api.getUpdates({ offset: 0, timeout: 0 })).toEqual([]);
  });

  it("grammY's Bot works with long polling against the emulator", async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: tg.apiRoot }, botInfo: undefined });
    bot.command('start', (ctx) => ctx.reply(`привет, ${ctx.from?.first_name}`));
    bot.on('message:contact', (ctx) => ctx.reply(`номер ${ctx.message.contact.phone_number}`));
    bot.callbackQuery(/^rate:/, async (ctx) => {
      await ctx.answerCallbackQuery();
      await ctx.editMessageText(`оценка ${ctx.callbackQuery.data}`);
    });
    const running = bot.start({ drop_pending_updates: false });
    try {
      const user = tg.client(TOKEN, { chatId: 701, userId: 701, firstName: 'Анна' });
      await sendCommand(user, '/start');
      const [hello] = (await user.getUpdates()).result as unknown as { messageId: number; message: { text: string } }[];
      expect(hello!.message.text).toBe('привет, Анна');
      await shareContact(user, { phone: '79123456789' });
      expect(((await user.getUpdates()).result[0] as unknown as { message: { text: string } }).message.text).toBe('номер 79123456789');
      await pressButton(user, 'rate:rtg_q:5', hello!.messageId);
      await expect.poll(() => tg.botMessages(TOKEN, 701)[0]?.text, { timeout: 3000 }).toBe('оценка rate:rtg_q:5');
    } finally {
      await bot.stop();
      await running;
    }
  });
});

describe('blockingProxy', () => {
  it('answers 403 "bot was blocked by the user" for blocked chats and forwards the rest', async () => {
    const proxy = await blockingProxy(tg.apiRoot, { blockedChatIds: [801] });
    try {
      const viaProxy = new Api(TOKEN, { apiRoot: proxy.apiRoot });
      const err = await viaProxy.sendMessage(801, 'hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrammyError);
      expect((err as GrammyError).error_code).toBe(403);
      expect((err as GrammyError).description).toBe('Forbidden: bot was blocked by the user');
      await expect(viaProxy.editMessageText(801, 1, 'x')).rejects.toMatchObject({ error_code: 403 });

      const ok = await viaProxy.sendMessage(802, 'hello');
      expect(tg.botMessages(TOKEN, 802).map((m) => m.text)).toEqual(['hello']);
      await expect(viaProxy.editMessageText(802, ok.message_id, 'edited')).resolves.toBeNull();
      expect(tg.botMessages(TOKEN, 802)[0]!.text).toBe('edited');
      expect(tg.botMessages(TOKEN, 801)).toEqual([]);

      proxy.blocked.delete('801'); // the user unblocks the bot
      await viaProxy.sendMessage(801, 'again');
      expect(tg.botMessages(TOKEN, 801).map((m) => m.text)).toEqual(['again']);
      expect(proxy.refused).toEqual([
        { method: 'sendMessage', chatId: '801' },
        { method: 'editMessageText', chatId: '801' },
      ]);
    } finally {
      await proxy.close();
    }
  });
});
