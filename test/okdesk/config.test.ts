/**
 * The rating app's settings (src/apps/okdesk-rating/config.ts, read by loadConfig): on
 * with OKDESK_API_URL, which then requires both tokens; start-up names every bad
 * variable at once; RATING_STATUSES decides which statuses ask for a rating; without
 * OKDESK_API_URL the app is off and none of its endpoints exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import type { OkdeskRatingConfig } from '../../src/apps/okdesk-rating/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BOT_TOKEN, okdeskWebhook, realStatus, startRig, type Rig } from './_support.js';

const BASE = { DATABASE_URL: 'sqlite::memory:' };
const URL_ONLY = { ...BASE, OKDESK_API_URL: 'https://acme.okdesk.ru/api/v1/' };
const FULL = { ...URL_ONLY, OKDESK_API_TOKEN: 'okdesk-token', TELEGRAM_BOT_TOKEN: BOT_TOKEN };

/** The ConfigError loadConfig throws for `env` (fails the test when it does not throw). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^Invalid configuration/);
    return (err as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const rating = (c: Config) => c.apps['okdesk-rating'] as OkdeskRatingConfig | undefined;

describe('loadConfig with the rating app', () => {
  it('OKDESK_API_URL without TELEGRAM_BOT_TOKEN and OKDESK_API_TOKEN → one ConfigError naming both', () => {
    const problems = problemsOf(URL_ONLY);
    expect(problems.some((p) => p.startsWith('TELEGRAM_BOT_TOKEN'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OKDESK_API_TOKEN'))).toBe(true);
    expect(problems).toHaveLength(2);
  });

  it('each missing token alone is named, and nothing else', () => {
    expect(problemsOf({ ...FULL, OKDESK_API_TOKEN: '' })).toEqual([expect.stringMatching(/^OKDESK_API_TOKEN: required/)]);
    expect(problemsOf({ ...FULL, TELEGRAM_BOT_TOKEN: '' })).toEqual([expect.stringMatching(/^TELEGRAM_BOT_TOKEN: required/)]);
  });

  it.each(['not-a-token', '123456', ':ABC', 'abc:DEF', '123456:ABC DEF', '123456:ABC/DEF'])('a malformed TELEGRAM_BOT_TOKEN (%j) is named', (token) => {
    const problems = problemsOf({ ...FULL, TELEGRAM_BOT_TOKEN: token });
    expect(problems).toEqual([expect.stringMatching(/^TELEGRAM_BOT_TOKEN: expected a bot token/)]);
  });

  it("the app's problems are listed with the core's, all at once", () => {
    const problems = problemsOf({ ...URL_ONLY, PORT: 'eighty', TELEGRAM_BOT_TOKEN: 'oops', OKDESK_PORTAL_URL: 'acme' });
    expect(problems.map((p) => p.split(/[=:]/)[0]).sort()).toEqual(['OKDESK_API_TOKEN', 'OKDESK_PORTAL_URL', 'PORT', 'TELEGRAM_BOT_TOKEN']);
  });

  it('a bad OKDESK_API_URL, TELEGRAM_API_ROOT or TELEGRAM_WEBHOOK_SECRET is named', () => {
    expect(problemsOf({ ...FULL, OKDESK_API_URL: 'acme.okdesk.ru' })).toEqual([expect.stringMatching(/^OKDESK_API_URL=/)]);
    expect(problemsOf({ ...FULL, TELEGRAM_API_ROOT: 'ftp://api.telegram.org' })).toEqual([expect.stringMatching(/^TELEGRAM_API_ROOT=/)]);
    expect(problemsOf({ ...FULL, TELEGRAM_WEBHOOK_SECRET: 'has spaces' })).toEqual([expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET:/)]);
  });

  it('a valid setup is on, with the defaults', () => {
    const c = rating(loadConfig(FULL))!;
    expect(c).toMatchObject({
      webhookPath: '/okdesk-webhook',
      okdeskApiUrl: 'https://acme.okdesk.ru/api/v1',
      okdeskApiToken: 'okdesk-token',
      telegramBotToken: BOT_TOKEN,
      telegramApiRoot: 'https://api.telegram.org',
      ratingStatuses: ['resolved', 'closed', 'completed', 'done', 'finished', 'solved'],
    });
    expect(c.telegramWebhookUrl).toBeUndefined();
  });

  it('RATING_STATUSES: comma-separated, trimmed, lower-cased, empties dropped; empty → the defaults', () => {
    expect(rating(loadConfig({ ...FULL, RATING_STATUSES: ' Resolved, WAITING_rating ,,closed ' }))!.ratingStatuses).toEqual(['resolved', 'waiting_rating', 'closed']);
    expect(rating(loadConfig({ ...FULL, RATING_STATUSES: ' , ' }))!.ratingStatuses).toEqual(['resolved', 'closed', 'completed', 'done', 'finished', 'solved']);
  });

  it('without OKDESK_API_URL the app is off, whatever else is set', () => {
    expect(rating(loadConfig(BASE))).toBeUndefined();
    const { OKDESK_API_URL: _off, ...rest } = FULL;
    expect(rating(loadConfig(rest))).toBeUndefined();
  });
});

describe('RATING_STATUSES on a running server', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ RATING_STATUSES: 'Waiting_Rating, archived' });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('only the listed statuses ask for a rating (matched case-insensitively)', async () => {
    const resolved = await okdeskWebhook(rig.s, realStatus(4001, 'resolved', 97, 'Не тот статус'));
    expect(resolved.status).toBe(202);
    expect(resolved.body!.ratingId).toBeUndefined();
    const listed = await okdeskWebhook(rig.s, realStatus(4002, 'WAITING_RATING', 97, 'Ждёт оценки'));
    expect(listed.status).toBe(202);
    expect(listed.body!.ratingId).toEqual(expect.any(String));
    const ratings = (await rig.s.api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings.map((r) => r.issueId)).toEqual(['4002']);
  });
});

describe('without OKDESK_API_URL', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('the Okdesk webhook path does not exist', async () => {
    const get = await fetch(`${s.url}/okdesk-webhook`);
    expect(get.status).toBe(404);
    await get.arrayBuffer();
    const post = await fetch(`${s.url}/okdesk-webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":{"event_type":"new_ticket_status"},"issue":{"id":1}}' });
    expect(post.status).toBe(404);
    await post.arrayBuffer();
  });

  it("the app's API does not exist (404 with the admin token)", async () => {
    for (const p of ['/v1/ratings/stats', '/v1/ratings', '/v1/okdesk/contacts']) {
      const r = await s.api('GET', p);
      expect(r.status, p).toBe(404);
      expect(r.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    }
  });
});
