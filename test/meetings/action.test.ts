/**
 * The `meetings` action that sources made through /v1/sources hand requests to
 * (src/inbound/actions.ts): called as the inbound pipeline calls it, over a real
 * server's database, with provider settings from the source's `action`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { ActionHandler, InboundRequest } from '../../src/inbound/actions.js';
import type { AppContext } from '../../src/context.js';
import { API_KEY, SPACE, expectRoom, seedBody, startFakeTalk, type FakeTalk } from './_support.js';


/** The action as the server registered it for sources of type `meetings`. */
const meetingsAction = (): ActionHandler => ctx.actions.get('meetings')!.handle;
let s: TestServer;
let fake: FakeTalk;
let ctx: AppContext;
let projectId: string;
let projectToken: string;
beforeAll(async () => {
  fake = await startFakeTalk();
  s = await startTestServer({});
  ctx = s.ctx;
  const p = await s.api('POST', '/v1/projects', { body: { name: 'mm-source' } });
  projectId = p.body.data.id;
  projectToken = p.body.data.token.token;
});
afterAll(async () => {
  await s?.stop();
  await fake?.close();
});

function inbound(body: unknown, raw = JSON.stringify(body)): InboundRequest {
  return {
    id: 'req_test',
    sourceId: 'src_meetings1',
    projectId,
    method: 'POST',
    url: '/webhook/mm',
    query: {},
    headers: { 'content-type': 'application/json' },
    raw: Buffer.from(raw ?? ''),
    json: body,
    receivedAt: Date.now(),
  };
}

describe('registerAction("meetings")', () => {
  it('a source of type meetings made through /v1/sources answers the plugin\'s request with a room, kept in its history', async () => {
    const src = await s.api('POST', '/v1/sources', { token: projectToken, body: { path: 'mm-room', action: { type: 'meetings', provider: 'mock', space: 'acme' } } });
    expect(src.status, src.text).toBe(201);
    const body = seedBody({ channel_id: 'viasource' });
    const res = await fetch(`${s.url}/webhook/mm-room`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const room = expectRoom({ status: res.status, headers: res.headers, body: JSON.parse(text), text });
    expect(room.room_url).toMatch(/^https:\/\/acme\.ktalk\.ru\/viasource[a-z0-9]{8}$/);
    const list = await s.api('GET', `/v1/meetings?userId=${body.user_id}`, { token: projectToken });
    expect(list.body.data).toMatchObject([{ sourceId: src.body.data.id, status: 'created', roomUrl: room.room_url, answerStatus: 200 }]);
  });

  it('each source keeps its own window: the same user in the same channel through another source gets a new room, not 429 nor the first room', async () => {
    const a = await s.api('POST', '/v1/sources', { token: projectToken, body: { path: 'mm-window-a', action: { type: 'meetings', provider: 'mock', space: 'acme' } } });
    const b = await s.api('POST', '/v1/sources', { token: projectToken, body: { path: 'mm-window-b', action: { type: 'meetings', provider: 'mock', space: 'acme' } } });
    expect([a.status, b.status]).toEqual([201, 201]);
    const body = seedBody({ channel_id: 'twosources', user_id: 'user-two-sources' });
    const click = async (path: string, channel = 'twosources') => {
      const res = await fetch(`${s.url}/webhook/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, channel_id: channel }), signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const first = await click('mm-window-a');
    expect(first.status).toBe(200);
    // Inside A's window: a repeat click reuses, another channel is over the limit.
    expect((await click('mm-window-a')).body.room_url).toBe(first.body.room_url);
    expect((await click('mm-window-a', 'otherchannel')).status).toBe(429);
    // B has seen nothing of this user.
    const second = await click('mm-window-b');
    expect(second.status).toBe(200);
    expect(second.body.room_url).not.toBe(first.body.room_url);
    const list = await s.api('GET', `/v1/meetings?userId=${body.user_id}`, { token: projectToken });
    expect(list.body.data.filter((m: { status: string }) => m.status === 'created').map((m: { sourceId: string }) => m.sourceId).sort()).toEqual([a.body.data.id, b.body.data.id].sort());
  });

  it('mock provider: answers the room and records it in the source\'s project', async () => {
    const body = seedBody();
    const out = await meetingsAction()(ctx, { type: 'meetings', provider: 'mock', space: 'acme' }, inbound(body));
    expect(out.answer?.status).toBe(200);
    const room = out.answer!.body as Record<string, string>;
    expect(room.room_url).toMatch(/^https:\/\/acme\.ktalk\.ru\/test123[a-z0-9]{8}$/);
    expect(out.result).toMatchObject({ httpStatus: 200, status: 'success', room_url: room.room_url });
    const list = await s.api('GET', `/v1/meetings?userId=${body.user_id}`, { token: projectToken });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ sourceId: 'src_meetings1', roomUrl: room.room_url });
    // The default project's history does not show it.
    expect((await s.api('GET', `/v1/meetings?userId=${body.user_id}`)).body.data).toEqual([]);
  });

  it('ktalk provider with the source\'s own space, apiUrl and apiKey', async () => {
    const action = { type: 'meetings', provider: 'ktalk', space: SPACE, apiUrl: `${fake.url}/api`, apiKey: API_KEY, rateLimit: 2 };
    const user = seedBody();
    const first = await meetingsAction()(ctx, action, inbound({ ...user, channel_id: 'one' }));
    expect(first.answer?.status).toBe(200);
    expect((first.answer!.body as any).room_url).toMatch(new RegExp(`^https://${SPACE}\\.ktalk\\.ru/one[a-z0-9]{8}$`));
    expect(fake.rooms().at(-1)!.headers['x-auth-token']).toBe(API_KEY);
    // rateLimit: 2 → a second channel is fine, a third is not.
    expect((await meetingsAction()(ctx, action, inbound({ ...user, channel_id: 'two' }))).answer?.status).toBe(200);
    expect((await meetingsAction()(ctx, action, inbound({ ...user, channel_id: 'three' }))).answer?.status).toBe(429);
  });

  it('a source\'s own apiUrl goes through the SSRF guard', async () => {
    const strict = { ...ctx, config: { ...ctx.config, allowPrivateTargets: false } };
    const action = { type: 'meetings', provider: 'ktalk', space: SPACE, apiUrl: `${fake.url}/api`, apiKey: API_KEY };
    const before = fake.rooms().length;
    const out = await meetingsAction()(strict, action, inbound(seedBody()));
    expect(out.answer?.status).toBe(502);
    expect(fake.rooms()).toHaveLength(before);
  });

  it('bad bodies and bad settings answer with a message', async () => {
    const notJson = await meetingsAction()(ctx, { type: 'meetings' }, inbound(undefined, 'channel_id=1'));
    expect(notJson.answer?.status).toBe(400);
    expect((notJson.answer!.body as any).message).toMatch(/not valid JSON/);
    const missing = await meetingsAction()(ctx, { type: 'meetings' }, inbound({ channel_id: 'x' }));
    expect(missing.answer?.status).toBe(400);
    const misconfigured = await meetingsAction()(ctx, { type: 'meetings', provider: 'ktalk', space: 'x' }, inbound(seedBody()));
    expect(misconfigured.answer?.status).toBe(500);
    expect((misconfigured.answer!.body as any).message).toMatch(/API key/);
    const wrong = await meetingsAction()(ctx, { type: 'meetings', provider: 'zoom' }, inbound(seedBody()));
    expect((wrong.answer!.body as any).message).toMatch(/mock or ktalk/);
  });
});
