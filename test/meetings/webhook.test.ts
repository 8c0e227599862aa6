/**
 * SPEC §6 / seed 000 with the `mock` provider: the plugin's request and answer,
 * bad bodies, the token, CORS, the per-user rate limit, history and room.created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, sqlElsewhere, startTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { PATH, click, expectMessage, expectRoom, history, seedBody } from './_support.js';

let s: TestServer;

/** Moves a user's history rows in time, straight in the database (another connection). */
const shiftUserRows = (userId: string, ms: number) => sqlElsewhere(s.db, 'update meetings set created_at = created_at + $1 where user_id = $2', [ms, userId]);

beforeAll(async () => {
  s = await startTestServer({ MEETINGS_RATE_LIMIT: '1' });
});
afterAll(async () => s?.stop());

describe('seed 000 request → room (mock provider)', () => {
  it("seed 000's curl body answers 200 with an https room_url derived from the channel", async () => {
    const body = seedBody();
    const room = expectRoom(await click(s, body));
    expect(room.room_url).toMatch(/^https:\/\/meet\.ktalk\.ru\/test123[a-z0-9]{8}$/);
    expect(room.room_name).toBe('Meeting - Test Channel');
    const [m] = await history(s, `?userId=${body.user_id}`);
    expect(m).toMatchObject({ status: 'created', provider: 'mock', channelId: 'test123', userId: body.user_id, roomUrl: room.room_url, roomId: room.room_id, error: null });
    expect(m.request).toEqual(body);
  });

  it('accepts the JSON body sent as text/plain (the root API would answer 415)', async () => {
    const body = seedBody({ channel_id: 'plain1' });
    expectRoom(await click(s, null, { raw: JSON.stringify(body), headers: { 'content-type': 'text/plain;charset=UTF-8' } }));
  });

  it('the published plugin\'s instant_call body: extra fields accepted and kept', async () => {
    const body = seedBody({
      operation_type: 'instant_call',
      channel_id: 'inst1',
      channel_name: 'Разработка',
      user_email: null,
      timestamp: new Date().toISOString(),
      root_id: 'post123',
      is_thread_reply: true,
      something_new: { nested: [1, 2] },
    });
    const room = expectRoom(await click(s, body));
    expect(room.room_name).toBe('Meeting - Разработка');
    const [m] = await history(s, `?userId=${body.user_id}`);
    expect(m.operationType).toBe('instant_call');
    expect(m.request).toEqual(body);
  });

  it('the plugin server\'s scheduled_meeting body: its title names the room; unknown fields kept', async () => {
    const body = seedBody({
      operation_type: 'scheduled_meeting',
      channel_id: 'sched1',
      title: 'Sprint review',
      start_time_utc: '2030-01-10T09:00:00Z',
      end_time_utc: '2030-01-10T10:00:00Z',
      start_time_msk: '2030-01-10T12:00:00+03:00',
      duration_minutes: 60,
      timezone: 'Europe/Moscow',
      participants: [{ user_id: 'u2', username: 'anna', email: 'anna@example.com' }],
      description: null,
      auto_detected: false,
      source: 'user_selection',
    });
    const room = expectRoom(await click(s, body));
    expect(room.room_name).toBe('Sprint review');
    const [m] = await history(s, `?userId=${body.user_id}`);
    expect(m).toMatchObject({ title: 'Sprint review', operationType: 'scheduled_meeting' });
    expect(m.request.participants).toEqual(body.participants);
    expect(m.request.source).toBe('user_selection');
    expect(m.request.auto_detected).toBe(false);
  });

  it('a scheduled meeting with an empty title falls back to "Meeting - {channel_name}"', async () => {
    const room = expectRoom(await click(s, seedBody({ operation_type: 'scheduled_meeting', title: '', channel_id: 'sched2' })));
    expect(room.room_name).toBe('Meeting - Test Channel');
  });
});

describe('bad requests → 400 with a message the plugin can show', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no channel_id', { user_id: 'u1', channel_name: 'x' }, /channel_id is required/],
    ['no user_id', { channel_id: 'c1' }, /user_id is required/],
    ['channel_id a number', { channel_id: 42, user_id: 'u1' }, /channel_id must be a string/],
    ['blank user_id', { channel_id: 'c1', user_id: '  ' }, /must not be blank/],
    ['unknown channel_type', { channel_id: 'c1', user_id: 'u1', channel_type: 'X' }, /channel_type must be one of O, P, D, G/],
    ['participants not a list', { channel_id: 'c1', user_id: 'u1', participants: 'all' }, /participants must be an array/],
    ['a JSON array', [{ channel_id: 'c1' }], /JSON object/],
    // PostgreSQL refuses NUL in text: it was a 500 there (and a row with it on SQLite).
    ['a NUL in channel_id', { channel_id: 'a\u0000b', user_id: 'u1' }, /channel_id must not contain NUL/],
    ['a NUL in user_id', { channel_id: 'c1', user_id: 'u\u0000' }, /user_id must not contain NUL/],
    ['a NUL in channel_name', { channel_id: 'c1', user_id: 'u1', channel_name: '\u0000' }, /channel_name must not contain NUL/],
    // The history's column holds 32: 33 characters were a 500 on PostgreSQL (and a row on SQLite).
    ['an operation_type over 32 characters', { channel_id: 'c1', user_id: 'u1', operation_type: 'scheduled_meeting_from_the_plugin' }, /operation_type is too long/],
  ];
  for (const [name, body, pattern] of cases) {
    it(name, async () => {
      expect(expectMessage(await click(s, body), 400)).toMatch(pattern);
    });
  }

  it('malformed JSON and an empty body', async () => {
    expect(expectMessage(await click(s, null, { raw: '{"channel_id": ', headers: { 'content-type': 'application/json' } }), 400)).toMatch(/not valid JSON/);
    expect(expectMessage(await click(s, null, { raw: '', headers: { 'content-type': 'application/json' } }), 400)).toMatch(/no body/);
  });

  it('a form body is 415 with a message', async () => {
    const res = await click(s, null, { raw: 'channel_id=c1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(expectMessage(res, 415)).toMatch(/JSON/);
  });

  it('a bad request is kept in the history as refused, with its status and reason, and makes no room', async () => {
    await click(s, { channel_id: 'never', user_id: 42 });
    const [row] = await history(s, '?channelId=never');
    expect(row).toMatchObject({ status: 'refused', answerStatus: 400, roomUrl: null, request: { channel_id: 'never', user_id: 42 } });
    expect(row.error).toMatch(/user_id/);
  });
});

describe('per-user rate limit (MEETINGS_RATE_LIMIT=1)', () => {
  it('a repeat click in the same channel within the minute returns the same room', async () => {
    const body = seedBody({ channel_id: 'repeat1' });
    const first = expectRoom(await click(s, body));
    const second = expectRoom(await click(s, body));
    expect(second).toEqual(first);
    const rows = await history(s, `?userId=${body.user_id}`);
    expect(rows.map((m: any) => [m.status, m.roomUrl])).toEqual([
      ['reused', first.room_url],
      ['created', first.room_url],
    ]);
  });

  it('a click is stamped after the user\'s newest row, even one its window leaves out (a refused click stamped later, as by a clock that stepped back)', async () => {
    const body = seedBody({ channel_id: 'clockback' });
    expectMessage(await click(s, { ...body, channel_type: 'Z' }), 400);
    // The refused row now lies 30 s ahead, as if the server's clock had since stepped back.
    await shiftUserRows(body.user_id, 30_000);
    try {
      expectRoom(await click(s, body));
      const rows = await history(s, `?userId=${body.user_id}`);
      const refused = rows.find((m: any) => m.status === 'refused');
      const created = rows.find((m: any) => m.status === 'created');
      expect(Date.parse(created.createdAt)).toBeGreaterThan(Date.parse(refused.createdAt));
    } finally {
      // Back in the past, so that the history's newest rows are the other tests' again.
      await shiftUserRows(body.user_id, -120_000);
    }
  });

  it('simultaneous clicks in one channel make one room', async () => {
    const body = seedBody({ channel_id: 'race1' });
    const answers = await Promise.all([1, 2, 3, 4].map(() => click(s, body)));
    const urls = new Set(answers.map((a) => expectRoom(a).room_url));
    expect(urls.size).toBe(1);
    const rows = await history(s, `?userId=${body.user_id}`);
    expect(rows.filter((m: any) => m.status === 'created')).toHaveLength(1);
    expect(rows.filter((m: any) => m.status === 'reused')).toHaveLength(3);
  });

  it('simultaneous clicks of one user in four channels make one room; the others are 429', async () => {
    // Over HTTP these usually land in separate turns; reservations made in one turn are in reserve-together.test.ts.
    const body = seedBody({ channel_id: 'raceA' });
    const answers = await Promise.all(['raceA', 'raceB', 'raceC', 'raceD'].map((channel_id) => click(s, { ...body, channel_id })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429, 429, 429]);
    const rows = await history(s, `?userId=${body.user_id}`);
    expect(rows.filter((m: any) => m.status === 'created')).toHaveLength(1);
    expect(rows.filter((m: any) => m.answerStatus === 429)).toHaveLength(3);
  });

  it('a new room in another channel within the minute is 429 with Retry-After', async () => {
    const body = seedBody({ channel_id: 'chanA' });
    expectRoom(await click(s, body));
    const res = await click(s, { ...body, channel_id: 'chanB' });
    expect(expectMessage(res, 429)).toMatch(/one new meeting a minute/);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    // The first channel still gets its room; other users are not limited.
    expectRoom(await click(s, body));
    expectRoom(await click(s, seedBody({ channel_id: 'chanB' })));
    expect((await history(s, `?userId=${body.user_id}&status=created`)).map((m: any) => m.channelId)).toEqual(['chanA']);
    const limited = await history(s, `?userId=${body.user_id}&channelId=chanB&status=refused`);
    expect(limited).toMatchObject([{ answerStatus: 429 }]);
    expect(limited[0].error).toMatch(/one new meeting a minute/);
  });
});

describe('the rate limit lives in the database', () => {
  it('is shared by two instances over one database and survives a restart', async () => {
    const db = freshDatabase();
    const a = await startTestServer({}, db);
    const b = await startTestServer({}, db);
    try {
      const body = seedBody({ channel_id: 'shared1' });
      const room = expectRoom(await click(a, body));
      expect(expectRoom(await click(b, body)).room_url).toBe(room.room_url);
      expectMessage(await click(b, { ...body, channel_id: 'shared2' }), 429);
      await a.close();
      const c = await startTestServer({}, db);
      try {
        expect(expectRoom(await click(c, body)).room_url).toBe(room.room_url);
        expectMessage(await click(c, { ...body, channel_id: 'shared3' }), 429);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.stop();
    }
  });
});

describe('GET /v1/meetings', () => {
  it('needs a token, paginates, filters by user and channel', async () => {
    expect((await s.api('GET', '/v1/meetings', { token: null })).status).toBe(401);
    const a = seedBody({ channel_id: 'pageA' });
    const b = seedBody({ channel_id: 'pageB' });
    expectRoom(await click(s, a));
    expectRoom(await click(s, b));
    const page = await s.api('GET', '/v1/meetings?limit=1&offset=0');
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(1);
    expect(page.body.pagination).toMatchObject({ limit: 1, offset: 0, hasMore: true });
    expect(page.body.pagination.total).toBeGreaterThanOrEqual(2);
    expect(page.body.data[0].channelId).toBe('pageB'); // newest first
    expect((await history(s, '?channelId=pageA')).map((m: any) => m.userId)).toEqual([a.user_id]);
    const one = await s.api('GET', `/v1/meetings/${page.body.data[0].id}`);
    expect(one.body.data.id).toBe(page.body.data[0].id);
    expect((await s.api('GET', '/v1/meetings/mtg_nope')).status).toBe(404);
  });

  it('another project sees none of the default project\'s meetings', async () => {
    const p = await s.api('POST', '/v1/projects', { body: { name: 'other' } });
    const res = await s.api('GET', '/v1/meetings', { token: p.body.data.token.token });
    expect(res.body.pagination.total).toBe(0);
  });
});

describe('room.created', () => {
  let rcv: Receiver;
  beforeAll(async () => {
    rcv = await startReceiver();
  });
  afterAll(async () => rcv?.close());

  it('reaches a webhook subscribed to it, with the room\'s data', async () => {
    const hook = await s.api('POST', '/v1/webhooks', { body: { name: 'rooms', url: `${rcv.url}/rooms`, events: ['room.created'] } });
    expect(hook.status, hook.text).toBe(201);
    const body = seedBody({ channel_id: 'evt1' });
    const room = expectRoom(await click(s, body));
    const [got] = await rcv.waitFor(1);
    const env = JSON.parse(got!.body);
    expect(env.type).toBe('room.created');
    expect(env.data).toMatchObject({
      room_id: room.room_id,
      room_url: room.room_url,
      room_name: 'Meeting - Test Channel',
      channel_id: 'evt1',
      user_id: body.user_id,
      username: 'test.user',
      provider: 'mock',
      created_at: room.created_at,
    });
    // A repeat click is the same room: no second event.
    expectRoom(await click(s, body));
    await new Promise((r) => setTimeout(r, 500));
    expect(rcv.requests).toHaveLength(1);
  });
});

describe('no OPTIONS/POST confusion', () => {
  it('GET on the webhook path is 405 with Allow: POST, OPTIONS, and no meeting', async () => {
    const res = await s.api('GET', PATH, { token: null });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(res.body.message).toMatch(/POST/);
  });
});
