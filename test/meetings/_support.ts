/** Shared pieces of the meetings suites (not a test file itself). */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { startReceiver, type Receiver, type Received } from '../helpers/receiver.js';
import type { ApiResponse, TestServer } from '../helpers/server.js';

export const PATH = '/webhook/kontur-create';
export const SPACE = 'hookbridgetest';
export const API_KEY = 'talk_api_key_0123456789';

/** Seed 000's curl body, with a fresh user so each test has its own rate-limit window. */
export function seedBody(over: Record<string, unknown> = {}): Record<string, any> {
  return {
    channel_id: 'test123',
    channel_name: 'Test Channel',
    channel_type: 'O',
    user_id: `user_${randomBytes(4).toString('hex')}`,
    username: 'test.user',
    ...over,
  };
}

/** POST to the meetings webhook the way the plugin does (JSON, no Authorization). */
export function click(s: TestServer, body: unknown, opts: { query?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<ApiResponse> {
  return s.api('POST', PATH + (opts.query ?? ''), {
    token: null,
    ...(opts.raw !== undefined ? { raw: opts.raw } : { body }),
    headers: opts.headers,
  });
}

/** A 200 answer of seed 000's extended shape; returns the body. */
export function expectRoom(res: ApiResponse) {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const b = res.body;
  expect(Object.keys(b).sort()).toEqual(['created_at', 'meeting_url', 'room_id', 'room_name', 'room_url', 'status']);
  expect(b.status).toBe('success');
  expect(b.room_url).toMatch(/^https:\/\//);
  expect(b.meeting_url).toBe(b.room_url);
  expect(new URL(b.room_url).pathname).toBe(`/${b.room_id}`);
  expect(Math.abs(Date.parse(b.created_at) - Date.now())).toBeLessThan(60_000);
  return b as { room_url: string; meeting_url: string; room_id: string; room_name: string; created_at: string; status: string };
}

/** An error answer the plugin can show: `message` and `error`, both readable. */
export function expectMessage(res: ApiResponse, status: number): string {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(typeof res.body?.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(10);
  expect(typeof res.body.error).toBe('string');
  expect(res.body.error.length).toBeGreaterThan(3);
  expect(res.body.room_url).toBeUndefined();
  return res.body.message;
}

export type TalkMode = 'ok' | 'hang' | number;

export interface FakeTalk extends Receiver {
  mode: TalkMode;
  /** How long a room takes to make (ms). Default: 0 */
  delayMs: number;
  /** PUT requests that reached /api/Rooms/{roomName}. */
  rooms(): Received[];
}

/**
 * A local stand-in for the Talk API: `PUT /api/Rooms/{roomName}` with X-Auth-Token
 * answers the TalkRoom as Talk does; `mode` switches it to an error status or to
 * never answering. Every request is recorded, so tests assert what Hookbridge sent.
 */
export async function startFakeTalk(): Promise<FakeTalk> {
  const fake = (await startReceiver((req) => {
    if (fake.mode === 'hang') return 'hang';
    if (typeof fake.mode === 'number') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fake.mode === 429) headers['retry-after'] = '30';
      return { status: fake.mode, headers, body: JSON.stringify({ errorMessage: `fake Talk says ${fake.mode}` }) };
    }
    const m = /^\/api\/Rooms\/([a-z0-9]+)$/.exec(req.url);
    if (req.method !== 'PUT' || !m) return { status: 404, body: '' };
    if (req.headers['x-auth-token'] !== API_KEY) return { status: 401, headers: { 'content-type': 'application/json' }, body: '{"errorMessage":"Unauthorized"}' };
    const params = JSON.parse(req.body) as { title?: string; description?: string };
    const room = { roomName: m[1], title: params.title, description: params.description, conferenceId: `conf-${m[1]}`, stageConferenceId: `stage-${m[1]}`, allowAnonymous: false };
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(room), delayMs: fake.delayMs };
  })) as FakeTalk;
  fake.mode = 'ok';
  fake.delayMs = 0;
  fake.rooms = () => fake.requests.filter((r) => r.method === 'PUT' && r.url.startsWith('/api/Rooms/'));
  return fake;
}

/** Env for a server whose meetings app talks to the fake. */
export const ktalkEnv = (fake: FakeTalk, extra: Record<string, string> = {}) => ({
  MEETINGS_PROVIDER: 'ktalk',
  KTALK_SPACE: SPACE,
  KTALK_API_URL: `${fake.url}/api`,
  KTALK_API_KEY: API_KEY,
  ...extra,
});

/** The project's meetings history (admin token → default project). */
export async function history(s: TestServer, query = ''): Promise<any[]> {
  const res = await s.api('GET', `/v1/meetings${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}
