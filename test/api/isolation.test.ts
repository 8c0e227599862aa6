/** SPEC §2: a token never sees another project's data — such ids answer 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createProject, createWebhook, expectError, expectOk } from './_support.js';

let s: TestServer;
let A: { id: string; token: string; tokenId: string };
let B: { id: string; token: string; tokenId: string };
let aHook: { id: string; secret: string };
let bHook: { id: string; secret: string };
type Published = { id: string; deliveries: Array<{ id: string; webhookId: string }> };
let aEvent: Published;
let bEvent: Published;
let bSecondToken: { id: string; token: string };

beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
  A = await createProject(s, 'Project A');
  B = await createProject(s, 'Project B');
  aHook = await createWebhook(s, { name: 'a-hook', events: ['*'], secret: 'a_secret_value_1' }, A.token);
  bHook = await createWebhook(s, { name: 'b-hook', events: ['*'], secret: 'b_secret_value_1' }, B.token);
  aEvent = expectOk(await s.api('POST', '/v1/events', { token: A.token, body: { id: 'evt_a', type: 'message.created', data: { who: 'a' } } }), 202);
  bEvent = expectOk(await s.api('POST', '/v1/events', { token: B.token, body: { id: 'evt_b', type: 'message.created', data: { who: 'b' } } }), 202);
  bSecondToken = expectOk(await s.api('POST', `/v1/projects/${B.id}/tokens`, { body: { name: 'b2' } }), 201);
});
afterAll(async () => s?.stop());

describe("project A's token on project B's objects", () => {
  it('webhook get/put/delete/rotate → 404, and B\'s webhook is untouched', async () => {
    const t = A.token;
    expectError(await s.api('GET', `/v1/webhooks/${bHook.id}`, { token: t }), 404, 'NOT_FOUND');
    expectError(await s.api('PUT', `/v1/webhooks/${bHook.id}`, { token: t, body: { name: 'hijacked', url: 'https://evil.example/x' } }), 404, 'NOT_FOUND');
    expectError(await s.api('POST', `/v1/webhooks/${bHook.id}/rotate-secret`, { token: t }), 404, 'NOT_FOUND');
    expectError(await s.api('POST', `/v1/webhooks/${bHook.id}/rotate-secret`, { token: t, body: { secret: 'attacker_secret' } }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', `/v1/webhooks/${bHook.id}`, { token: t }), 404, 'NOT_FOUND');

    const still = expectOk(await s.api('GET', `/v1/webhooks/${bHook.id}`, { token: B.token }));
    expect(still).toMatchObject({ name: 'b-hook', url: 'https://example.com/hook', secret: 'b_****ue_1' });
    expect(still.secretRotation).toBeNull();
  });

  it('the 404 for another project\'s id is the same as for an id that does not exist', async () => {
    const foreign = await s.api('GET', `/v1/webhooks/${bHook.id}`, { token: A.token });
    const missing = await s.api('GET', '/v1/webhooks/wh_00000000000000000000000000', { token: A.token });
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
    expect(foreign.text).not.toContain('b-hook');
  });

  it('event get → 404', async () => {
    expectError(await s.api('GET', `/v1/events/${bEvent.id}`, { token: A.token }), 404, 'NOT_FOUND');
    expect(expectOk(await s.api('GET', `/v1/events/${aEvent.id}`, { token: A.token })).data).toEqual({ who: 'a' });
  });

  it('token delete → 404, and B\'s token keeps working', async () => {
    expectError(await s.api('DELETE', `/v1/tokens/${B.tokenId}`, { token: A.token }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', `/v1/tokens/${bSecondToken.id}`, { token: A.token }), 404, 'NOT_FOUND');
    expect((await s.api('GET', '/v1/project', { token: B.token })).status).toBe(200);
    expect((await s.api('GET', '/v1/project', { token: bSecondToken.token })).status).toBe(200);
  });

  it("B's custom event type is invisible to A", async () => {
    expectOk(await s.api('POST', '/v1/event-types', { token: B.token, body: { name: 'b.private' } }), 201);
    expectError(await s.api('GET', '/v1/event-types/b.private', { token: A.token }), 404, 'NOT_FOUND');
    expectError(await s.api('PUT', '/v1/event-types/b.private', { token: A.token, body: { description: 'x' } }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', '/v1/event-types/b.private', { token: A.token }), 404, 'NOT_FOUND');
    // …and A cannot subscribe to or publish it.
    expectError(await s.api('POST', '/v1/webhooks', { token: A.token, body: { url: 'https://example.com/a', events: ['b.private'] } }), 422, 'VALIDATION_ERROR');
    expectError(await s.api('POST', '/v1/events', { token: A.token, body: { type: 'b.private', data: {} } }), 422, 'VALIDATION_ERROR');
  });
});

describe('lists', () => {
  it("each project's lists show only its own items", async () => {
    const aHooks = await s.api('GET', '/v1/webhooks', { token: A.token });
    expect(expectOk(aHooks).map((w: { id: string }) => w.id)).toEqual([aHook.id]);
    expect(aHooks.body.pagination.total).toBe(1);
    const bHooks = await s.api('GET', '/v1/webhooks', { token: B.token });
    expect(expectOk(bHooks).map((w: { id: string }) => w.id)).toEqual([bHook.id]);

    const aEvents = await s.api('GET', '/v1/events', { token: A.token });
    expect(expectOk(aEvents).map((e: { id: string }) => e.id)).toEqual([aEvent.id]);
    const bEvents = await s.api('GET', '/v1/events', { token: B.token });
    expect(expectOk(bEvents).map((e: { id: string }) => e.id)).toEqual([bEvent.id]);
    expect(bEvents.text).not.toContain('"who":"a"');

    // The default project (admin, no header) sees neither.
    const def = await s.api('GET', '/v1/webhooks');
    expect(def.body.data.map((w: { id: string }) => w.id)).not.toContain(aHook.id);
    expect(def.body.data.map((w: { id: string }) => w.id)).not.toContain(bHook.id);
  });

  it("publishing in one project never delivers to another project's webhooks", async () => {
    expect(aEvent.deliveries.map((d) => d.webhookId)).toEqual([aHook.id]);
    expect(bEvent.deliveries.map((d) => d.webhookId)).toEqual([bHook.id]);
    const fromDefault = expectOk(await s.api('POST', '/v1/events', { body: { type: 'message.created', data: {} } }), 202);
    const targets = fromDefault.deliveries.map((d: { webhookId: string }) => d.webhookId);
    expect(targets).not.toContain(aHook.id);
    expect(targets).not.toContain(bHook.id);
  });

  it('the same event id in another project neither collides nor replays', async () => {
    const inA = expectOk(await s.api('POST', '/v1/events', { token: A.token, body: { id: 'evt_b', type: 'room.created', data: { who: 'a' } } }), 202);
    expect(inA.type).toBe('room.created');
    expect(inA.deliveries.map((d: { webhookId: string }) => d.webhookId)).toEqual([aHook.id]);
    expect(expectOk(await s.api('GET', '/v1/events/evt_b', { token: B.token })).type).toBe('message.created');
  });
});

describe('admin with X-Hookbridge-Project', () => {
  const asB = () => ({ 'x-hookbridge-project': B.id });

  it("acts on B's objects and lists", async () => {
    expect(expectOk(await s.api('GET', `/v1/webhooks/${bHook.id}`, { headers: asB() })).name).toBe('b-hook');
    expect(expectOk(await s.api('GET', `/v1/events/${bEvent.id}`, { headers: asB() })).data).toEqual({ who: 'b' });
    const hooks = expectOk(await s.api('GET', '/v1/webhooks', { headers: asB() }));
    expect(hooks.map((w: { id: string }) => w.id)).toEqual([bHook.id]);
    // Without the header, the admin is in the default project: B's ids are 404 there.
    expectError(await s.api('GET', `/v1/webhooks/${bHook.id}`), 404, 'NOT_FOUND');
    expectError(await s.api('GET', `/v1/events/${bEvent.id}`), 404, 'NOT_FOUND');
    // Naming B, A's webhook is 404.
    expectError(await s.api('GET', `/v1/webhooks/${aHook.id}`, { headers: asB() }), 404, 'NOT_FOUND');
  });

  it('creates, updates, rotates and deletes in B', async () => {
    const made = expectOk(await s.api('POST', '/v1/webhooks', { headers: asB(), body: { name: 'by-admin', url: 'https://example.com/adm', events: ['room.*'] } }), 201);
    expect(expectOk(await s.api('GET', `/v1/webhooks/${made.id}`, { token: B.token })).name).toBe('by-admin');
    expect(expectOk(await s.api('PUT', `/v1/webhooks/${made.id}`, { headers: asB(), body: { name: 'renamed' } })).name).toBe('renamed');
    expect(expectOk(await s.api('POST', `/v1/webhooks/${made.id}/rotate-secret`, { headers: asB() })).secret).toMatch(/^whsec_/);
    const ev = expectOk(await s.api('POST', '/v1/events', { headers: asB(), body: { type: 'room.created', data: {} } }), 202);
    expect(ev.deliveries.map((d: { webhookId: string }) => d.webhookId).sort()).toEqual([bHook.id, made.id].sort());
    expect((await s.api('DELETE', `/v1/webhooks/${made.id}`, { headers: asB() })).status).toBe(204);
    expectError(await s.api('GET', `/v1/webhooks/${made.id}`, { token: B.token }), 404, 'NOT_FOUND');
  });

  it('an unknown project in the header is a 404 on every route', async () => {
    const headers = { 'x-hookbridge-project': 'prj_missing' };
    for (const [method, path] of [
      ['GET', '/v1/project'],
      ['GET', '/v1/webhooks'],
      ['GET', `/v1/webhooks/${bHook.id}`],
      ['GET', '/v1/events'],
      ['GET', '/v1/event-types'],
    ] as const) {
      expectError(await s.api(method, path, { headers }), 404, 'NOT_FOUND');
    }
    expectError(await s.api('POST', '/v1/events', { headers, body: { type: 'room.created', data: {} } }), 404, 'NOT_FOUND');
  });
});
