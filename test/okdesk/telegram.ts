/**
 * Test helpers around `telegram-test-api` 4.2.1 (a Bot API emulator, express on one port),
 * plus a proxy that plays "the user blocked the bot" (or "Telegram hangs"). Verified by emulator.test.ts.
 *
 * URL format. Bot routes are `/bot:token/:method` at the root, so grammY's
 * `apiRoot` is the bare origin: `new Api(token, { apiRoot: 'http://127.0.0.1:PORT' })`
 * (grammY builds `${apiRoot}/bot${token}/${method}`; no trailing slash — grammY throws).
 * Same value for TELEGRAM_API_ROOT.
 *
 * What the BOT side supports: getMe, getUpdates, sendMessage, editMessageText,
 * editMessageReplyMarkup, answerCallbackQuery, deleteMessage, setWebhook, deleteWebhook.
 * - Anything else (setMyCommands, sendChatAction, getWebhookInfo, …) answers HTTP 500
 *   `{"message":"API method '…' is not supported…"}` (no `ok` field), which grammY throws
 *   as an error: the bot must not need those in tests (or must catch their failure).
 * - getUpdates ignores `offset`, `limit` and `timeout`: it returns every unread user
 *   update once, at once. No long polling: grammY's `bot.start()` loop works but spins
 *   (an empty answer → the next request right away); emulator.test.ts runs a grammY Bot
 *   this way (/start, a contact, a button press + ctx.editMessageText). Prefer
 *   `bot.handleUpdate()` fed from the emulator, or webhook mode, if CPU matters.
 * - sendMessage accepts any chat_id (no "chat not found") and answers a Message with
 *   `message_id`, `chat.id`, `text`, and `reply_markup` only when it is inline.
 * - editMessageText / editMessageReplyMarkup change the stored bot message in place
 *   (matched by chat_id + message_id) and answer `{ok: true, result: null}`; an unknown
 *   message is silently ignored (no 400 "message to edit not found"). No
 *   inline_message_id. editMessageReplyMarkup needs an inline keyboard.
 * - answerCallbackQuery answers `{ok: true, result: null}` and records nothing: its
 *   `text` cannot be asserted.
 * - setWebhook(url): later user updates are POSTed to `url` (axios) instead of stored
 *   (checked by hand). `secret_token` is ignored: no X-Telegram-Bot-Api-Secret-Token
 *   header is sent, so a grammY webhookCallback with `secretToken` answers 401. A non-2xx
 *   answer becomes an unhandled rejection inside the emulator and the update is lost
 *   (no redelivery). getWebhookInfo is not supported.
 *
 * What the USER (client) side supports, over the emulator's own HTTP API:
 * - text messages (`makeMessage`/`sendMessage`) and commands (`makeCommand`/`sendCommand`,
 *   with a `bot_command` entity);
 * - a CONTACT: yes — the stored message is whatever the client posts, so
 *   `shareContact()` below posts `{contact: {phone_number, first_name, user_id}}` with no
 *   text; grammY's `message:contact` sees it. Someone else's contact = a different user_id;
 * - pressing an inline button: yes — `sendCallback(makeCallbackQuery(data, …))` makes a
 *   `callback_query` {id, from, message, data}. Its `message` is a stub ({from: the user,
 *   chat}) with NO message_id and no text unless the test passes them: `pressButton()`
 *   below sets `message.message_id` so `ctx.editMessageText()` can target the message;
 * - reading what the bot sent: `client.getUpdates()` polls (every 100 ms; gives up after
 *   1 s by default, 3 s for clients made by `startTelegram().client()`) for UNREAD bot
 *   messages to the client's chatId and marks them read. They are the emulator's stored
 *   records, not Telegram Messages: `{messageId, updateId, time, botToken, isRead,
 *   message: {chat_id, text, reply_markup (any kind, parsed)}}`.
 *   An edit of an already-read message is NOT delivered again: read edits through
 *   `botMessages()` below (or `getUpdatesHistory()`), which show the current text.
 * - user updates carry extra fields (`botToken`) and `date` in seconds; user ids and chat
 *   ids default to 1 (set `userId`/`chatId` per client to model several users).
 * Ports: the emulator treats port 0 as 9000, so `startTelegram()` picks a free port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type { ClientOptions, TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { freePort } from '../helpers/wait.js';

/** A bot message as the emulator stores it (edits applied). */
export interface StoredBotMessage {
  messageId: number;
  chatId: string;
  text: string;
  replyMarkup?: Record<string, unknown>;
}

export interface TelegramEmulator {
  /** `http://127.0.0.1:PORT` — grammY `apiRoot` / TELEGRAM_API_ROOT. */
  apiRoot: string;
  server: TelegramServer;
  client(token: string, opts?: Partial<ClientOptions>): TelegramClient;
  /** What the bot has sent to `chatId` (all chats when omitted), oldest first, edits applied. */
  botMessages(token: string, chatId?: number | string): StoredBotMessage[];
  stop(): Promise<void>;
}

export async function startTelegram(): Promise<TelegramEmulator> {
  const port = await freePort();
  const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
  await server.start();
  const apiRoot = `http://127.0.0.1:${port}`;
  return {
    apiRoot,
    server,
    client: (token, opts) => server.getClient(token, { timeout: 3000, ...opts }),
    botMessages(token, chatId) {
      return server.storage.botMessages
        .filter((u) => u.botToken === token && (chatId === undefined || String(u.message.chat_id) === String(chatId)))
        .map((u) => {
          const m = u.message as unknown as { chat_id: number | string; text?: string; reply_markup?: Record<string, unknown> };
          return { messageId: u.messageId, chatId: String(m.chat_id), text: m.text ?? '', ...(m.reply_markup && { replyMarkup: m.reply_markup }) };
        });
    },
    stop: async () => {
      await server.stop();
    },
  };
}

export const sendText = (client: TelegramClient, text: string) => client.sendMessage(client.makeMessage(text));

export const sendCommand = (client: TelegramClient, command: string) => client.sendCommand(client.makeCommand(command));

/**
 * The user shares a contact (Telegram's "share phone" button). By default it is their own
 * (`user_id` = the sender); pass another `userId` for "someone else's contact".
 */
export function shareContact(client: TelegramClient, contact: { phone: string; firstName?: string; userId?: number }) {
  const m = client.makeMessage('', {}) as unknown as Record<string, unknown> & { from: { id: number; first_name: string } };
  delete m.text;
  m.contact = {
    phone_number: contact.phone,
    first_name: contact.firstName ?? m.from.first_name,
    user_id: contact.userId ?? m.from.id,
  };
  return client.sendMessage(m as unknown as Parameters<TelegramClient['sendMessage']>[0]);
}

/** The user presses an inline button with `data` under the bot message `messageId`. */
export function pressButton(client: TelegramClient, data: string, messageId: number) {
  return client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: messageId } }));
}

export interface BlockingProxy {
  /** Give this to the bot instead of the emulator's apiRoot. */
  apiRoot: string;
  /** Chats that have "blocked the bot"; mutable while the test runs. */
  blocked: Set<string>;
  /** Calls the proxy refused, in order. */
  refused: { method: string; chatId: string }[];
  /** Chats whose sendMessage/editMessageText are held: never forwarded nor answered (Telegram unreachable mid-call); mutable. */
  hold: Set<string>;
  /** Calls the proxy is holding (or held until the caller hung up), in order. */
  held: { method: string; chatId: string }[];
  close(): Promise<void>;
}

const BLOCKED = JSON.stringify({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
const GUARDED = new Set(['sendMessage', 'editMessageText']);

function chatIdOf(body: Buffer, contentType: string): string | undefined {
  const text = body.toString('utf8');
  try {
    if (contentType.includes('application/json')) return (JSON.parse(text) as { chat_id?: unknown }).chat_id?.toString();
    if (contentType.includes('application/x-www-form-urlencoded')) return new URLSearchParams(text).get('chat_id') ?? undefined;
  } catch {
    // unreadable body: let the emulator judge it
  }
  return undefined;
}

/**
 * An HTTP proxy in front of the emulator: `sendMessage`/`editMessageText` to a blocked chat
 * answer what Telegram answers (HTTP 403 + `{"ok":false,"error_code":403,"description":
 * "Forbidden: bot was blocked by the user"}`); to a held chat they get no answer at all
 * (a Telegram that hangs mid-call); everything else is forwarded unchanged.
 */
export async function blockingProxy(apiRoot: string, opts: { blockedChatIds: Iterable<number | string>; heldChatIds?: Iterable<number | string> }): Promise<BlockingProxy> {
  const blocked = new Set([...opts.blockedChatIds].map(String));
  const hold = new Set([...(opts.heldChatIds ?? [])].map(String));
  const refused: BlockingProxy['refused'] = [];
  const held: BlockingProxy['held'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type'] ?? '');
      const method = /^\/bot[^/]+\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
      const chatId = GUARDED.has(method) ? chatIdOf(body, contentType) : undefined;
      if (chatId !== undefined && blocked.has(chatId)) {
        refused.push({ method, chatId });
        res.writeHead(403, { 'content-type': 'application/json' }).end(BLOCKED);
        return;
      }
      if (chatId !== undefined && hold.has(chatId)) {
        held.push({ method, chatId });
        return; // no answer: the caller waits until it gives up or dies
      }
      request(`${apiRoot}${req.url}`, {
        method: (req.method ?? 'GET') as 'GET' | 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        ...(body.length > 0 && { body }),
      })
        .then(async (up) => {
          const text = await up.body.text();
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') }).end(text);
        })
        .catch((err: Error) => {
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 502, description: `proxy: ${err.message}` }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    blocked,
    refused,
    hold,
    held,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
