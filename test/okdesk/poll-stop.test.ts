/**
 * Stopping the bot's long-polling loop is prompt, whatever the loop was doing: a server
 * shutting down during the backoff after failed polls (up to 30 s) used to wait for the
 * backoff to end, and left a 3 s timer behind.
 */
import http from 'node:http';
import { Bot } from 'grammy';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pollUpdates } from '../../src/apps/okdesk-rating/bot.js';
import { until } from '../helpers/wait.js';
import { BOT_TOKEN } from './_support.js';

/** A Bot API that knows the bot but fails every getUpdates (Telegram having a bad moment). */
let api: http.Server;
let apiRoot: string;
beforeAll(async () => {
  api = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/getMe')) return res.end(JSON.stringify({ ok: true, result: { id: 1, is_bot: true, first_name: 'Bot', username: 'rating_bot' } }));
    res.statusCode = 502;
    res.end(JSON.stringify({ ok: false, error_code: 502, description: 'Bad Gateway' }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiRoot = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
});

it('stop() during the backoff after a failed poll returns at once and leaves no timer holding the process', async () => {
  const bot = new Bot(BOT_TOKEN, { client: { apiRoot } });
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const poller = pollUpdates(bot, { intervalMs: 100, logger });
  // The first failure backs off for a second.
  await until('a failed poll', 5000, () => warnings.some((w) => w.includes('getUpdates failed')));
  const t0 = Date.now();
  await poller.stop();
  expect(Date.now() - t0).toBeLessThan(300);
  await new Promise((r) => setImmediate(r));
  expect(timers()).toBeLessThanOrEqual(before);
});
