/**
 * The rating app at its edges, from a fuzzing round: Telegram unreachable (its errors must
 * not show the bot token), dates no Date holds on the ratings routes, and a contact linked
 * and unlinked at the same moment. A fake Okdesk on loopback; Telegram at a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { startFakeOkdesk, type FakeOkdesk } from './fake-okdesk.js';
import { BOT_TOKEN, okdeskWebhook, ratingEnv, seedStatus } from './_support.js';

let s: TestServer;
let okdesk: FakeOkdesk;
beforeAll(async () => {
  okdesk = await startFakeOkdesk();
  // Nothing listens on port 9: every Bot API call fails to connect.
  s = await startTestServer(ratingEnv(okdesk, 'http://127.0.0.1:9', { TELEGRAM_POLL_INTERVAL_MS: '1000' }));
});
afterAll(async () => {
  await s?.stop();
  await okdesk?.close();
});

describe('Telegram unreachable', () => {
  it("the send job's error says so, and shows no bot token (job errors are visible to every token of the project)", async () => {
    expect((await s.api('PUT', '/v1/okdesk/contacts/501', { body: { telegramChatId: 5001 } })).status).toBe(200);
    expect((await okdeskWebhook(s, seedStatus(3001, 'resolved', 501))).status).toBe(202);
    let jobs: any[] = [];
    await until('the send job to fail once', 15_000, async () => {
      jobs = (await s.api('GET', '/v1/jobs?kind=okdesk-rating.send-rating')).body.data;
      return jobs.some((j) => j.lastError);
    });
    const text = JSON.stringify(jobs);
    expect(text).toMatch(/Telegram could not be reached/);
    expect(text).not.toContain(BOT_TOKEN);
    expect(text).not.toContain(BOT_TOKEN.split(':')[1]);
  });
});

describe('ratings routes and dates', () => {
  it('a leap second or year 0 in from/to is a 400, never a 500 (the schema takes them; no Date holds them)', async () => {
    for (const path of ['/v1/ratings', '/v1/ratings/stats', '/v1/ratings/export.csv']) {
      for (const q of ['to=2026-12-31T23:59:60Z', 'from=2026-12-31T23:59:60Z', 'to=0000-01-01T00:00:00Z', 'from=2026-02-30T00:00:00Z']) {
        const r = await s.api('GET', `${path}?${q}`);
        expect(r.status, `${path}?${q}: ${r.text}`).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_ERROR');
      }
    }
    expect((await s.api('GET', '/v1/ratings/stats?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z')).status).toBe(200);
  });
});

describe('PUT /v1/okdesk/contacts/{id}: telegramChatId', () => {
  it('anything but a non-zero safe integer is a 422 naming the field, and nothing is linked (1e21 was stored as "1e+21")', async () => {
    for (const raw of ['1e21', '-1e21', '9007199254740992', '"9007199254740992"', '"99999999999999999999"', '0', '"-0"', '1.5', '"abc"']) {
      const r = await s.api('PUT', '/v1/okdesk/contacts/601', { raw: `{"telegramChatId": ${raw}}`, headers: { 'content-type': 'application/json' } });
      expect(r.status, `${raw}: ${r.text}`).toBe(422);
      expect(r.body.success).toBe(false);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain('telegramChatId');
    }
    expect((await s.api('GET', '/v1/okdesk/contacts/601')).status).toBe(404);
  });

  it('a value neither form takes ("abc", true) is one detail saying what each form wants', async () => {
    const cases: Array<[string, RegExp]> = [
      ['"abc"', /^must match pattern .*, or must be integer \(got "abc"\)$/],
      ['true', /^must be one of: string, integer \(got true\)$/],
    ];
    for (const [raw, message] of cases) {
      const r = await s.api('PUT', '/v1/okdesk/contacts/603', { raw: `{"telegramChatId": ${raw}}`, headers: { 'content-type': 'application/json' } });
      expect(r.status, r.text).toBe(422);
      expect(r.body.error.details, r.text).toHaveLength(1);
      expect(r.body.error.details[0].field).toBe('telegramChatId');
      expect(r.body.error.details[0].message).toMatch(message);
    }
  });

  it('numbers and strings of digits up to ±(2^53 − 1) are linked, stored as Telegram writes the id', async () => {
    const cases: Array<[unknown, string]> = [
      [Number.MAX_SAFE_INTEGER, '9007199254740991'],
      [-Number.MAX_SAFE_INTEGER, '-9007199254740991'],
      [-1001234567890, '-1001234567890'],
      ['-1001234567890', '-1001234567890'],
      ['0042', '42'],
      [777, '777'],
    ];
    for (const [telegramChatId, stored] of cases) {
      const r = await s.api('PUT', '/v1/okdesk/contacts/602', { body: { telegramChatId } });
      expect(r.status, `${JSON.stringify(telegramChatId)}: ${r.text}`).toBe(200);
      expect(r.body.data.telegramChatId).toBe(stored);
      expect((await s.api('GET', '/v1/okdesk/contacts/602')).body.data.telegramChatId).toBe(stored);
    }
  });
});

describe('a contact linked and unlinked at the same moment', () => {
  it('each answers as if it came first or second: 200/204 or 404, never a 500', async () => {
    for (let round = 0; round < 12; round++) {
      const [put, del] = await Promise.all([
        s.api('PUT', '/v1/okdesk/contacts/race', { body: { telegramChatId: 7000 + round } }),
        s.api('DELETE', '/v1/okdesk/contacts/race'),
      ]);
      expect([200, 404], put.text).toContain(put.status);
      expect([204, 404], del.text).toContain(del.status);
    }
  });
});
