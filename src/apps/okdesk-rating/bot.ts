/**
 * The Telegram bot (grammY): /start and linking by a shared phone number, /new to
 * create an issue, /my to list them, and the rating buttons. Presses and new issues
 * become jobs in the same transaction as the state they change; conversational
 * replies (prompts, lists) are answered directly, since a lost prompt costs nothing.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Bot, type Context } from 'grammy';
import type { Logger } from 'pino';
import type { AppContext } from '../../context.js';
import { waitAtMost } from '../../core/timeout.js';
import type { OkdeskClient } from './okdesk-client.js';
import { normalisePhone } from './okdesk-client.js';
import type { OkdeskStore } from './store.js';
import * as msg from './messages.js';
import { JOB_COMMENT, JOB_CREATE_ISSUE, JOB_THANK } from './intake.js';

export interface BotDeps {
  ctx: AppContext;
  store: OkdeskStore;
  okdesk: OkdeskClient;
  projectId: string;
  token: string;
  apiRoot: string;
  logger: Logger;
}

/** Where a user is in "/new": the title asked, then the description. Lost on restart (the user starts over). */
type Draft = { step: 'title' } | { step: 'description'; title: string };

export function createBot({ ctx, store, okdesk, projectId, token, apiRoot, logger }: BotDeps): Bot {
  // Calls give up after 40 s (getUpdates holds 25 s): an unreachable Bot API must not hang the poller.
  const bot = new Bot(token, { client: { apiRoot, timeoutSeconds: 40 } });
  const drafts = new Map<string, Draft>();
  const chatOf = (c: Context) => String(c.chat?.id ?? c.from?.id);

  const linked = async (c: Context) => {
    const contact = await store.contactByChat(projectId, chatOf(c));
    if (!contact) await c.reply(msg.notLinked());
    return contact;
  };

  bot.command('start', async (c) => {
    drafts.delete(chatOf(c));
    const m = msg.startGreeting();
    await c.reply(m.text, { reply_markup: m.reply_markup });
  });

  bot.command('help', (c) => c.reply(msg.helpText()));

  bot.on('message:contact', async (c) => {
    const shared = c.message.contact;
    if (shared.user_id !== undefined && shared.user_id !== c.from.id) return void (await c.reply(msg.notOwnContact()));
    const phone = normalisePhone(shared.phone_number);
    let found;
    try {
      found = await okdesk.findContactByPhone(phone);
    } catch (err) {
      logger.warn({ err, chat_id: chatOf(c) }, 'okdesk contact lookup failed');
      return void (await c.reply(msg.okdeskUnavailable()));
    }
    if (!found) return void (await c.reply(msg.phoneNotFound(`+${phone}`)));
    await store.linkContact({
      project_id: projectId,
      contact_id: found.id,
      telegram_chat_id: chatOf(c),
      phone,
      name: found.name || null,
      linked_by: 'bot',
      linked_at: Date.now(),
    });
    logger.info({ contact_id: found.id, chat_id: chatOf(c) }, 'okdesk contact linked by phone');
    const m = msg.linkedOk(found.name);
    await c.reply(m.text, { reply_markup: m.reply_markup });
  });

  const startDraft = async (c: Context) => {
    if (!(await linked(c))) return;
    drafts.set(chatOf(c), { step: 'title' });
    await c.reply(msg.askTitle());
  };
  bot.command('new', startDraft);
  bot.callbackQuery(msg.NEW_ISSUE_CALLBACK, async (c) => {
    await c.answerCallbackQuery();
    await startDraft(c);
  });

  bot.command('my', async (c) => {
    const contact = await linked(c);
    if (!contact) return;
    try {
      await c.reply(msg.issueList(await okdesk.listIssues(contact.contact_id)));
    } catch (err) {
      logger.warn({ err, contact_id: contact.contact_id }, 'okdesk issue list failed');
      await c.reply(msg.okdeskUnavailable());
    }
  });

  bot.callbackQuery(/^rate:/, async (c) => {
    const press = msg.parseRateCallback(c.callbackQuery.data);
    const chatId = String(c.callbackQuery.message?.chat.id ?? c.from.id);
    if (!press) return void (await c.answerCallbackQuery({ text: msg.ratingNotYours() }));
    const rating = await store.rating(projectId, press.ratingId);
    if (!rating || rating.chat_id !== chatId) return void (await c.answerCallbackQuery({ text: msg.ratingNotYours() }));
    const saved = await store.transaction(async (trx) => {
      if (!(await store.rate(trx, rating.id, chatId, press.score, Date.now()))) return false;
      // The press may come before the send job recorded the message id: keep the one pressed.
      const messageId = c.callbackQuery.message?.message_id;
      if (messageId !== undefined && rating.message_id === null) {
        await trx.updateTable('okdesk_ratings').set({ message_id: messageId }).where('id', '=', rating.id).execute();
      }
      await ctx.jobs.enqueue({ projectId, kind: JOB_COMMENT, payload: { ratingId: rating.id } }, trx);
      await ctx.jobs.enqueue({ projectId, kind: JOB_THANK, payload: { ratingId: rating.id } }, trx);
      return true;
    });
    if (!saved) return void (await c.answerCallbackQuery({ text: msg.alreadyRated() }));
    ctx.jobs.wake();
    logger.info({ rating_id: rating.id, issue_id: rating.issue_id, score: press.score }, 'rating received');
    await c.answerCallbackQuery({ text: msg.thanksShort(press.score) });
  });

  bot.on('message:text', async (c) => {
    const chatId = chatOf(c);
    const draft = drafts.get(chatId);
    if (!draft) return void (await c.reply(msg.helpText()));
    const text = c.message.text.trim();
    if (draft.step === 'title') {
      drafts.set(chatId, { step: 'description', title: text.slice(0, 250) });
      return void (await c.reply(msg.askDescription()));
    }
    drafts.delete(chatId);
    const contact = await linked(c);
    if (!contact) return;
    await ctx.jobs.enqueue({
      projectId,
      kind: JOB_CREATE_ISSUE,
      payload: { chatId, contactId: contact.contact_id, title: draft.title, description: text },
    });
    await c.reply(msg.issueQueued());
  });

  bot.catch((err) => logger.error({ err: err.error, update_id: err.ctx.update.update_id }, 'telegram update failed'));
  return bot;
}

/**
 * Long polling with a floor between empty polls: real Telegram holds getUpdates up to
 * `timeout` seconds, so the floor only matters against servers that answer at once
 * (a local Bot API emulator), where it keeps the loop from spinning a core.
 */
export function pollUpdates(bot: Bot, opts: { intervalMs: number; logger: Logger }) {
  let stopped = false;
  let offset = 0;
  let failures = 0;
  const abort = new AbortController();
  /** A pause that stop() cuts short (a backoff can be 30 s). */
  const sleep = (ms: number) => delay(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  const done = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        if (!bot.isInited()) await bot.init(abort.signal as never);
        const updates = await bot.api.getUpdates({ offset, timeout: 25, allowed_updates: ['message', 'callback_query'] }, abort.signal as never);
        failures = 0;
        for (const u of updates) {
          offset = u.update_id + 1;
          await bot.handleUpdate(u);
        }
        if (!updates.length) await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)));
      } catch (err) {
        if (stopped) break;
        failures++;
        opts.logger.warn({ err }, 'telegram getUpdates failed; retrying');
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      abort.abort();
      // A call that ignores the abort must not hold up shutdown.
      await waitAtMost(3000, done);
    },
  };
}
