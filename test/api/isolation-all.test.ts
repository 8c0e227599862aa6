/**
 * Isolation on every route (SPEC §2, issue 12 "Done when"): project A (the default
 * project, where the built-in apps live) holds one of everything — a webhook, an event
 * and its delivery, a custom event type, an inbound source and a request it accepted, a
 * per-space webhook, an extra token, an Okdesk contact link, a rating and its app job, a
 * meeting. Then project B calls every /v1 route that takes an id with A's ids — with its
 * own token, with its token naming A's project in X-Hookbridge-Project (ignored: a
 * project token cannot switch projects), and as the admin token naming B:
 * - 404 with the error envelope, the same answer as for an id that does not exist, and
 *   nothing of A in it (admin-only routes: 403 for B's token);
 * - B's own objects under the same names (a space webhook, a contact link) are B's own:
 *   created without a conflict that would betray A's, and A's stay as they were;
 * - every list route shows none of A's items (no A id, name, secret or value anywhere in
 *   the answer), and a replay "since 2020" of B's webhook (inactive until then, so a
 *   replay looking past its project would pick up A's events) brings nothing;
 * - afterwards every A object is intact.
 * The routes are enumerated from GET /openapi.json: a route with a path parameter (or a
 * list route) that this file does not cover fails the run, so a new route cannot be
 * forgotten.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type ApiResponse, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';
import { okdeskWebhook, seedStatus, startRig, type Rig } from '../okdesk/_support.js';
import { createProject, expectOk } from './_support.js';

let rig: Rig;
let s: TestServer;
let rcv: Receiver;
let B: { id: string; token: string; tokenId: string };
/** A's objects. */
const A = {} as {
  projectId: string;
  webhook: { id: string; secret: string; masked: string };
  event: string;
  delivery: string;
  eventType: string;
  source: { id: string; path: string };
  inbound: string;
  space: { id: string; secret: string };
  token: { id: string; token: string };
  contact: string;
  chat: string;
  job: string;
  rating: string;
  meeting: { id: string; roomId: string };
  portalLink: string;
};
/** B's own objects, for mixed calls (B's parent id with A's child id). */
const own = {} as { webhook: string; source: string };
/** Requests A's webhook endpoint had received before B's calls. */
let sentToA = 0;
/** Strings that identify A's data: none may appear in an answer to B. */
let markers: string[] = [];

type Caller = { name: string; headers: Record<string, string>; admin: boolean };
let callers: Caller[] = [];

beforeAll(async () => {
  rig = await startRig();
  s = rig.s;
  rcv = await startReceiver(() => ({ status: 200, body: 'OK' }));
  A.projectId = expectOk(await s.api('GET', '/v1/project')).id;
  B = await createProject(s, 'Project B');
  // B's webhook exists before any of A's events, inactive: a replay that looked past its project would find them all.
  own.webhook = expectOk(await s.api('POST', '/v1/webhooks', { token: B.token, body: { name: 'b-hook', url: `${rcv.url}/b-hook`, events: ['*'], active: false } }), 201).id;

  // ---- A's objects (admin token, no header: the default project)
  A.eventType = 'aonly.private';
  expectOk(await s.api('POST', '/v1/event-types', { body: { name: A.eventType, description: 'A-only type', category: 'aonly' } }), 201);
  const hook = expectOk(await s.api('POST', '/v1/webhooks', { body: { name: 'aonly-hook', url: `${rcv.url}/aonly-hook`, events: ['*'], secret: 'aonly_secret_value_123' } }), 201);
  A.webhook = { id: hook.id, secret: hook.secret, masked: '' };
  A.webhook.masked = expectOk(await s.api('GET', `/v1/webhooks/${hook.id}`)).secret;
  const ev = expectOk(await s.api('POST', '/v1/events', { body: { type: A.eventType, data: { marker: 'aonly-data-7731' } } }), 202);
  A.event = ev.id;
  A.delivery = ev.deliveries.find((d: { webhookId: string }) => d.webhookId === hook.id).id;
  await until('A\'s delivery to be sent', 10_000, async () => expectOk(await s.api('GET', `/v1/deliveries/${A.delivery}`)).status === 'delivered');

  const src = expectOk(await s.api('POST', '/v1/sources', { body: { name: 'aonly-source', path: 'aonly-src-5521', action: { type: 'publish', eventType: A.eventType } } }), 201);
  A.source = { id: src.id, path: 'aonly-src-5521' };
  const inbound = await fetch(`${s.url}/webhook/aonly-src-5521`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inbound":"aonly-inbound-9912"}' });
  expect(inbound.status).toBe(202);
  A.inbound = ((await inbound.json()) as { data: { id: string } }).data.id;

  const space = await s.api('POST', '/v1/spaces/aonly-space/webhook', { body: { url: `${rcv.url}/aonly-space` } });
  expect(space.status, space.text).toBe(200);
  A.space = { id: 'aonly-space', secret: space.body.secret };

  A.token = expectOk(await s.api('POST', `/v1/projects/${A.projectId}/tokens`, { body: { name: 'aonly-token' } }), 201);

  // The rating app (default project): a linked contact, a resolved issue → a rating and its send job.
  A.contact = '96173';
  A.chat = '777555';
  expectOk(await s.api('PUT', `/v1/okdesk/contacts/${A.contact}`, { body: { telegramChatId: Number(A.chat) } }));
  const hookRes = await okdeskWebhook(s, seedStatus(200117, 'closed', Number(A.contact), 'Aonly printer'));
  expect(hookRes.status, hookRes.text).toBe(202);
  A.rating = hookRes.body!.ratingId as string;
  await until('the rating send job', 10_000, async () => expectOk(await s.api('GET', '/v1/jobs')).length > 0);
  A.job = expectOk(await s.api('GET', '/v1/jobs'))[0].id;

  const click = await fetch(`${s.url}/webhook/kontur-create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel_id: 'aonly-channel', channel_name: 'Aonly Channel', user_id: 'aonly-user', username: 'aonly.user' }),
  });
  expect(click.status).toBe(200);
  const room = (await click.json()) as { room_id: string };
  const meeting = expectOk(await s.api('GET', '/v1/meetings'))[0];
  A.meeting = { id: meeting.id, roomId: room.room_id };
  A.portalLink = expectOk(await s.api('POST', '/v1/portal-links', { body: { expiresIn: 600 } }), 201).id;

  // Everything A published so far (its event, the inbound relay's, the meeting's room.created) has reached A's endpoint.
  await until("A's deliveries to settle", 15_000, async () => (await s.api('GET', '/v1/deliveries?status=pending')).body.pagination.total === 0);
  sentToA = rcv.requests.filter((r) => r.url === '/aonly-hook').length;

  // ---- B's own objects
  own.source = expectOk(await s.api('POST', '/v1/sources', { token: B.token, body: { name: 'b-source', path: 'b-src-1', action: { type: 'publish', eventType: 'message.created' } } }), 201).id;

  markers = [
    A.projectId,
    A.webhook.id,
    A.webhook.secret,
    A.webhook.masked,
    'aonly', // every A name, path, URL, type and datum carries it
    A.event,
    A.delivery,
    A.source.id,
    A.inbound,
    A.space.secret,
    A.token.id,
    A.token.token,
    A.contact,
    A.chat,
    '200117',
    A.job,
    A.rating,
    A.meeting.id,
    A.meeting.roomId,
  ];
  callers = [
    { name: "B's token", headers: { authorization: `Bearer ${B.token}` }, admin: false },
    { name: 'the admin token naming B', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-hookbridge-project': B.id }, admin: true },
    // A project token cannot switch projects: the header is ignored, not obeyed.
    { name: "B's token naming A's project", headers: { authorization: `Bearer ${B.token}`, 'x-hookbridge-project': A.projectId }, admin: false },
  ];
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await rcv?.close();
});

async function as(caller: Caller, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return s.api(method, path, { token: null, headers: caller.headers, ...(body !== undefined && { body }) });
}

/** No A marker in the answer, other than those the caller itself sent in the path (error messages echo the id asked for). */
function leaksNothing(res: ApiResponse, what: string, sentPath = '') {
  const found = markers.filter((m) => m && !sentPath.includes(m) && res.text.includes(m));
  expect(found, `${what} shows A's data: ${res.text.slice(0, 500)}`).toEqual([]);
}

/** 404 with the envelope, exactly as for an id that does not exist, and nothing of A in it. */
function expectNotFound(res: ApiResponse, what: string, sentPath: string) {
  expect(res.status, `${what}: ${res.text}`).toBe(404);
  expect(res.body, what).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String), details: expect.any(Array) } });
  leaksNothing(res, what, sentPath);
}

type Attempt = { method: string; path: string; body?: unknown; expect: 'not-found' | 'admin-only' | 'admin-global' | 'own' };

/**
 * Every route with a path parameter ("METHOD /openapi/path"), and what B does with it:
 * A's ids → 404; admin-only routes → 403 for a project token (and, for the admin token,
 * nothing to isolate: it is global there); routes whose parameter is a name B may use
 * for its own object → B's own, without touching A's.
 */
const ID_ROUTES: Record<string, () => Attempt[]> = {
  'POST /v1/projects/{id}/tokens': () => [{ method: 'POST', path: `/v1/projects/${A.projectId}/tokens`, body: { name: 'stolen' }, expect: 'admin-only' }],
  'GET /v1/projects/{id}/tokens': () => [{ method: 'GET', path: `/v1/projects/${A.projectId}/tokens`, expect: 'admin-only' }],
  'DELETE /v1/tokens/{id}': () => [{ method: 'DELETE', path: `/v1/tokens/${A.token.id}`, expect: 'admin-global' }],
  'GET /v1/event-types/{name}': () => [{ method: 'GET', path: `/v1/event-types/${A.eventType}`, expect: 'not-found' }],
  'PUT /v1/event-types/{name}': () => [{ method: 'PUT', path: `/v1/event-types/${A.eventType}`, body: { description: 'hijacked' }, expect: 'not-found' }],
  'DELETE /v1/event-types/{name}': () => [{ method: 'DELETE', path: `/v1/event-types/${A.eventType}`, expect: 'not-found' }],
  'GET /v1/event-types/{name}/webhooks': () => [{ method: 'GET', path: `/v1/event-types/${A.eventType}/webhooks`, expect: 'not-found' }],
  'GET /v1/webhooks/{id}': () => [{ method: 'GET', path: `/v1/webhooks/${A.webhook.id}`, expect: 'not-found' }],
  'PUT /v1/webhooks/{id}': () => [{ method: 'PUT', path: `/v1/webhooks/${A.webhook.id}`, body: { name: 'hijacked', url: 'https://evil.example/x' }, expect: 'not-found' }],
  'DELETE /v1/webhooks/{id}': () => [{ method: 'DELETE', path: `/v1/webhooks/${A.webhook.id}`, expect: 'not-found' }],
  'DELETE /v1/portal-links/{id}': () => [{ method: 'DELETE', path: `/v1/portal-links/${A.portalLink}`, expect: 'not-found' }],
  'POST /v1/webhooks/{id}/rotate-secret': () => [
    { method: 'POST', path: `/v1/webhooks/${A.webhook.id}/rotate-secret`, expect: 'not-found' },
    { method: 'POST', path: `/v1/webhooks/${A.webhook.id}/rotate-secret`, body: { secret: 'attacker_secret_1' }, expect: 'not-found' },
  ],
  'GET /v1/webhooks/{id}/logs': () => [{ method: 'GET', path: `/v1/webhooks/${A.webhook.id}/logs`, expect: 'not-found' }],
  'GET /v1/webhooks/{id}/logs/{logId}': () => [
    { method: 'GET', path: `/v1/webhooks/${A.webhook.id}/logs/${A.delivery}`, expect: 'not-found' },
    // B's own webhook with A's delivery id.
    { method: 'GET', path: `/v1/webhooks/${own.webhook}/logs/${A.delivery}`, expect: 'not-found' },
  ],
  'GET /v1/webhooks/{id}/stats': () => [{ method: 'GET', path: `/v1/webhooks/${A.webhook.id}/stats`, expect: 'not-found' }],
  'POST /v1/webhooks/{id}/test': () => [{ method: 'POST', path: `/v1/webhooks/${A.webhook.id}/test`, body: { eventType: 'message.created', data: {} }, expect: 'not-found' }],
  'POST /v1/webhooks/{id}/replay': () => [{ method: 'POST', path: `/v1/webhooks/${A.webhook.id}/replay`, body: { since: '2020-01-01', status: 'all' }, expect: 'not-found' }],
  'GET /v1/events/{id}': () => [{ method: 'GET', path: `/v1/events/${A.event}`, expect: 'not-found' }],
  'GET /v1/deliveries/{id}': () => [{ method: 'GET', path: `/v1/deliveries/${A.delivery}`, expect: 'not-found' }],
  'POST /v1/deliveries/{id}/retry': () => [{ method: 'POST', path: `/v1/deliveries/${A.delivery}/retry`, expect: 'not-found' }],
  'GET /v1/spaces/{spaceId}/webhook': () => [{ method: 'GET', path: `/v1/spaces/${A.space.id}/webhook`, expect: 'not-found' }],
  'PUT /v1/spaces/{spaceId}/webhook': () => [{ method: 'PUT', path: `/v1/spaces/${A.space.id}/webhook`, body: { url: 'https://evil.example/x', isActive: false }, expect: 'not-found' }],
  'DELETE /v1/spaces/{spaceId}/webhook': () => [{ method: 'DELETE', path: `/v1/spaces/${A.space.id}/webhook`, expect: 'not-found' }],
  'PUT /v1/spaces/{spaceId}/webhook/refresh-secret': () => [{ method: 'PUT', path: `/v1/spaces/${A.space.id}/webhook/refresh-secret`, expect: 'not-found' }],
  // Space ids are B's to use too: B's create for the same space is B's own (not a 409 that would betray A's).
  'POST /v1/spaces/{spaceId}/webhook': () => [{ method: 'POST', path: `/v1/spaces/${A.space.id}/webhook`, body: { url: `${rcv.url}/b-space` }, expect: 'own' }],
  'GET /v1/sources/{id}': () => [{ method: 'GET', path: `/v1/sources/${A.source.id}`, expect: 'not-found' }],
  'PUT /v1/sources/{id}': () => [{ method: 'PUT', path: `/v1/sources/${A.source.id}`, body: { name: 'hijacked' }, expect: 'not-found' }],
  'DELETE /v1/sources/{id}': () => [{ method: 'DELETE', path: `/v1/sources/${A.source.id}`, expect: 'not-found' }],
  'GET /v1/sources/{id}/requests': () => [{ method: 'GET', path: `/v1/sources/${A.source.id}/requests`, expect: 'not-found' }],
  'GET /v1/sources/{id}/requests/{reqId}': () => [
    { method: 'GET', path: `/v1/sources/${A.source.id}/requests/${A.inbound}`, expect: 'not-found' },
    { method: 'GET', path: `/v1/sources/${own.source}/requests/${A.inbound}`, expect: 'not-found' },
  ],
  'GET /v1/jobs/{id}': () => [{ method: 'GET', path: `/v1/jobs/${A.job}`, expect: 'not-found' }],
  'POST /v1/jobs/{id}/retry': () => [{ method: 'POST', path: `/v1/jobs/${A.job}/retry`, expect: 'not-found' }],
  'GET /v1/meetings/{id}': () => [{ method: 'GET', path: `/v1/meetings/${A.meeting.id}`, expect: 'not-found' }],
  'GET /v1/okdesk/contacts/{contactId}': () => [{ method: 'GET', path: `/v1/okdesk/contacts/${A.contact}`, expect: 'not-found' }],
  'DELETE /v1/okdesk/contacts/{contactId}': () => [{ method: 'DELETE', path: `/v1/okdesk/contacts/${A.contact}`, expect: 'not-found' }],
  // A contact id is Okdesk's: B linking the same id links it in B only.
  'PUT /v1/okdesk/contacts/{contactId}': () => [{ method: 'PUT', path: `/v1/okdesk/contacts/${A.contact}`, body: { telegramChatId: 4242 }, expect: 'own' }],
};

/** List routes (GET, no path parameter) and the queries that would pick A's items if anything did. */
const LIST_ROUTES: Record<string, () => string[]> = {
  '/v1/project': () => ['/v1/project'],
  '/v1/projects': () => ['/v1/projects'], // admin-only
  '/v1/tokens': () => ['/v1/tokens?limit=1000'],
  '/v1/event-types': () => ['/v1/event-types?limit=1000', '/v1/event-types?category=aonly'],
  '/v1/webhooks': () => ['/v1/webhooks?limit=1000'],
  '/v1/events': () => ['/v1/events?limit=1000', `/v1/events?type=${A.eventType}`],
  '/v1/deliveries': () => ['/v1/deliveries?limit=1000', `/v1/deliveries?webhookId=${A.webhook.id}`, `/v1/deliveries?eventType=${A.eventType}`],
  '/v1/sources': () => ['/v1/sources?limit=1000'],
  '/v1/jobs': () => ['/v1/jobs?limit=1000', '/v1/jobs?kind=okdesk-rating.send-rating'],
  '/v1/meetings': () => ['/v1/meetings?limit=1000', '/v1/meetings?userId=aonly-user', '/v1/meetings?channelId=aonly-channel'],
  '/v1/okdesk/contacts': () => ['/v1/okdesk/contacts?limit=1000'],
  '/v1/okdesk/webhooks': () => ['/v1/okdesk/webhooks?limit=1000'],
  '/v1/ratings': () => ['/v1/ratings?from=2020-01-01T00:00:00Z'],
  '/v1/ratings/stats': () => ['/v1/ratings/stats?from=2020-01-01T00:00:00Z'],
  '/v1/ratings/export.csv': () => ['/v1/ratings/export.csv?from=2020-01-01T00:00:00Z'],
  '/v1/portal-links': () => ['/v1/portal-links?limit=1000'],
  // B's own series over all time counts none of A's deliveries (A's webhook id as a filter is a 404, checked with the ids).
  '/v1/stats/series': () => ['/v1/stats/series?startDate=2020-01-01'],
  '/v1/spaces': () => ['/v1/spaces?limit=1000'],
};

let doc: { paths: Record<string, Record<string, unknown>> };

describe('every route is covered', () => {
  it('each /openapi.json route with a path parameter, and each list route, is in this file', async () => {
    doc = (await s.api('GET', '/openapi.json')).body;
    const withParams: string[] = [];
    const lists: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      if (!p.startsWith('/v1/')) continue;
      for (const m of Object.keys(ops)) {
        if (p.includes('{')) withParams.push(`${m.toUpperCase()} ${p}`);
        else if (m === 'get') lists.push(p);
      }
    }
    expect(withParams.length).toBeGreaterThan(30);
    expect(withParams.filter((r) => !(r in ID_ROUTES)), 'routes with a path parameter this test does not call with another project\'s ids').toEqual([]);
    expect(lists.filter((r) => !(r in LIST_ROUTES)), 'list routes this test does not check').toEqual([]);
    // …and nothing here that the server no longer has.
    expect(Object.keys(ID_ROUTES).filter((r) => !withParams.includes(r))).toEqual([]);
    expect(Object.keys(LIST_ROUTES).filter((r) => !lists.includes(r))).toEqual([]);
  });
});

describe("project B on A's ids", () => {
  it('404 on every route that takes an id (403 on admin-only ones for a project token), for every caller', async () => {
    const missing = await as(callers[0], 'GET', '/v1/webhooks/wh_00000000000000000000000000');
    let calls = 0;
    for (const caller of callers) {
      // The 'own' routes last: they create B's objects.
      const attempts = Object.entries(ID_ROUTES)
        .flatMap(([route, make]) => make().map((a) => ({ route, ...a })))
        .sort((x, y) => Number(x.expect === 'own') - Number(y.expect === 'own'));
      for (const a of attempts) {
        const what = `${caller.name}: ${a.method} ${a.path}`;
        // The admin token is global on admin routes (token management): nothing project-scoped to isolate, and calling would act on A.
        if (caller.admin && (a.expect === 'admin-only' || a.expect === 'admin-global')) continue;
        const res = await as(caller, a.method, a.path, a.body);
        calls++;
        if (a.expect === 'not-found' || a.expect === 'admin-global') {
          expectNotFound(res, what, a.path);
          expect(res.body.error.code).toBe(missing.body.error.code);
        } else if (a.expect === 'admin-only') {
          expect(res.status, `${what}: ${res.text}`).toBe(403);
          expect(res.body.error.code).toBe('FORBIDDEN');
          leaksNothing(res, what, a.path);
        } else {
          // B's own object under the same name: made (no 409 betraying A's), then removed again.
          expect(res.status, `${what}: ${res.text}`).toBe(200);
          leaksNothing(res, what, a.path);
          const mine = await as(caller, 'GET', a.path);
          expect(mine.status).toBe(200);
          leaksNothing(mine, `${what} then GET`, a.path);
          expect((await as(caller, 'DELETE', a.path)).status).toBe(204);
        }
      }
    }
    expect(calls).toBeGreaterThan(70);
  });

  it('every list route shows none of A\'s items', async () => {
    for (const caller of callers) {
      for (const [route, make] of Object.entries(LIST_ROUTES)) {
        for (const p of make()) {
          const res = await as(caller, 'GET', p);
          const what = `${caller.name}: GET ${p}`;
          if (route === '/v1/projects') {
            // Admin-only: a project token may not list projects; the admin token lists them all (it is global).
            if (!caller.admin) {
              expect(res.status, `${what}: ${res.text}`).toBe(403);
              leaksNothing(res, what);
            }
            continue;
          }
          expect(res.status, `${what}: ${res.text}`).toBe(200);
          leaksNothing(res, what);
          if (Array.isArray(res.body?.data)) {
            if (route === '/v1/webhooks') expect(res.body.data.map((x: { id: string }) => x.id)).toEqual([own.webhook]);
            if (['/v1/events', '/v1/deliveries', '/v1/jobs', '/v1/meetings', '/v1/okdesk/contacts', '/v1/okdesk/webhooks', '/v1/ratings', '/v1/portal-links', '/v1/spaces'].includes(route)) {
              expect(res.body.data, what).toEqual([]);
            }
          }
          if (res.body?.pagination && ['/v1/events', '/v1/deliveries', '/v1/jobs', '/v1/meetings', '/v1/okdesk/contacts', '/v1/okdesk/webhooks'].includes(route)) {
            expect(res.body.pagination.total, what).toBe(0);
          }
        }
      }
    }
    const stats = expectOk(await as(callers[0], 'GET', '/v1/ratings/stats?from=2020-01-01T00:00:00Z'));
    expect(stats.count).toBe(0);
    const series = expectOk(await as(callers[0], 'GET', '/v1/stats/series?startDate=2020-01-01'));
    expect(series.points.reduce((n: number, p: { total: number }) => n + p.total, 0)).toBe(0);
    expect((await as(callers[0], 'GET', `/v1/stats/series?webhookId=${A.webhook.id}`)).status).toBe(404);
  });

  it("B's replay of everything since 2020 brings none of A's events to B's endpoint", async () => {
    expectOk(await as(callers[0], 'PUT', `/v1/webhooks/${own.webhook}`, { active: true }));
    const r = await as(callers[0], 'POST', `/v1/webhooks/${own.webhook}/replay`, { since: '2020-01-01', status: 'all' });
    expect(r.status, r.text).toBe(202);
    expect(r.body.data).toMatchObject({ webhookId: own.webhook, status: 'all', requeued: 0, created: 0 });
    leaksNothing(r, 'replay');
    const deliveries = await as(callers[0], 'GET', '/v1/deliveries');
    expect(deliveries.body.pagination.total).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(rcv.requests.filter((q) => q.url === '/b-hook')).toEqual([]);
  });

  it("A's objects are all intact afterwards", async () => {
    const hook = expectOk(await s.api('GET', `/v1/webhooks/${A.webhook.id}`));
    expect(hook).toMatchObject({ name: 'aonly-hook', url: `${rcv.url}/aonly-hook`, secret: A.webhook.masked, active: true, secretRotation: null });
    expect(expectOk(await s.api('GET', `/v1/event-types/${A.eventType}`)).description).toBe('A-only type');
    expect(expectOk(await s.api('GET', `/v1/events/${A.event}`)).data).toEqual({ marker: 'aonly-data-7731' });
    const d = expectOk(await s.api('GET', `/v1/deliveries/${A.delivery}`));
    expect(d).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(expectOk(await s.api('GET', `/v1/sources/${A.source.id}`)).name).toBe('aonly-source');
    expect(expectOk(await s.api('GET', `/v1/sources/${A.source.id}/requests/${A.inbound}`)).id).toBe(A.inbound);
    const space = await s.api('GET', `/v1/spaces/${A.space.id}/webhook`);
    expect(space.body).toEqual({ url: `${rcv.url}/aonly-space`, isActive: true });
    expect((await s.api('GET', '/v1/project', { token: A.token.token })).status).toBe(200);
    expect(expectOk(await s.api('GET', `/v1/okdesk/contacts/${A.contact}`)).telegramChatId).toBe(A.chat);
    expect(expectOk(await s.api('GET', `/v1/jobs/${A.job}`)).id).toBe(A.job);
    expect(expectOk(await s.api('GET', `/v1/meetings/${A.meeting.id}`)).roomId).toBe(A.meeting.roomId);
    // Nothing was sent again to A's endpoint (no retry, test or replay went through).
    expect(rcv.requests.filter((r) => r.url === '/aonly-hook').length).toBe(sentToA);
    expect(rcv.requests.filter((r) => r.url.startsWith('/aonly-space'))).toEqual([]);
  });
});
