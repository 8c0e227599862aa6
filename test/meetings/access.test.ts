/** MEETINGS_TOKEN (?token=) and CORS for MEETINGS_ALLOWED_ORIGINS (seed 000 §Security). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { PATH, click, expectMessage, expectRoom, history, seedBody } from './_support.js';

const TOKEN = 'secret_token_here';
const MM = 'https://mattermost.example.com';

let s: TestServer;
let open: TestServer;
beforeAll(async () => {
  [s, open] = await Promise.all([
    startTestServer({ MEETINGS_TOKEN: TOKEN, MEETINGS_ALLOWED_ORIGINS: `${MM}, https://chat.example.org/` }),
    startTestServer({}),
  ]);
});
afterAll(async () => {
  await s?.stop();
  await open?.stop();
});

const preflight = (srv: TestServer, origin: string, path = PATH) =>
  fetch(srv.url + path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

describe('MEETINGS_TOKEN', () => {
  it('without ?token= → 401 with a message; kept in the history as refused (checked before the body is read), no room', async () => {
    const body = seedBody();
    const before = (await history(s, '?status=refused')).length;
    expect(expectMessage(await click(s, body), 401)).toMatch(/token/);
    const refused = await history(s, '?status=refused');
    expect(refused).toHaveLength(before + 1);
    expect(refused[0]).toMatchObject({ answerStatus: 401, roomUrl: null });
    expect(refused[0].error).toMatch(/token/);
    expect(await history(s, '?status=created')).toEqual([]);
  });

  it('with a wrong token → 401', async () => {
    expect(expectMessage(await click(s, seedBody(), { query: '?token=nope' }), 401)).toMatch(/not valid/);
  });

  it('a wrong token is 401 even when the body is bad (checked before the body is read)', async () => {
    expectMessage(await click(s, null, { query: '?token=nope', raw: '{oops', headers: { 'content-type': 'application/json' } }), 401);
  });

  it('with the token → 200', async () => {
    expectRoom(await click(s, seedBody(), { query: `?token=${TOKEN}` }));
  });

  it('without MEETINGS_TOKEN no token is needed', async () => {
    expectRoom(await click(open, seedBody()));
  });
});

describe('CORS', () => {
  it('preflight from an allowed origin (no token needed) answers the seed 000 headers', async () => {
    const res = await preflight(s, MM, `${PATH}?token=${TOKEN}`);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(MM);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    // A configured origin with a trailing slash still matches.
    expect((await preflight(s, 'https://chat.example.org', PATH)).headers.get('access-control-allow-origin')).toBe('https://chat.example.org');
  });

  it('responses to an allowed origin carry Allow-Origin, errors included', async () => {
    const ok = await click(s, seedBody(), { query: `?token=${TOKEN}`, headers: { origin: MM } });
    expectRoom(ok);
    expect(ok.headers.get('access-control-allow-origin')).toBe(MM);
    const bad = await click(s, { channel_id: 'c' }, { query: `?token=${TOKEN}`, headers: { origin: MM } });
    expectMessage(bad, 400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(MM);
    const unauth = await click(s, seedBody(), { headers: { origin: MM } });
    expectMessage(unauth, 401);
    expect(unauth.headers.get('access-control-allow-origin')).toBe(MM);
  });

  it('a disallowed origin gets no Allow-Origin, and its request does not create a room', async () => {
    const pre = await preflight(s, 'https://evil.example.net');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const body = seedBody();
    const res = await click(s, null, {
      query: `?token=${TOKEN}`,
      raw: JSON.stringify(body),
      headers: { origin: 'https://evil.example.net', 'content-type': 'text/plain' },
    });
    expect(expectMessage(res, 403)).toMatch(/not allowed/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await history(s, `?userId=${body.user_id}`)).toEqual([]);
  });

  it('with the default list (*) every origin is answered with *', async () => {
    const pre = await preflight(open, 'https://anything.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const res = await click(open, seedBody(), { headers: { origin: 'https://anything.example' } });
    expectRoom(res);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('requests without Origin (curl, the plugin\'s Go server) are not affected by the list', async () => {
    expectRoom(await click(s, seedBody(), { query: `?token=${TOKEN}` }));
  });
});
