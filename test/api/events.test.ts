/** SPEC §3 events: publish (202, one delivery per matching active webhook), idempotency, reads. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createProject, createWebhook, expectError, expectOk, totalOf } from './_support.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

type Delivery = { id: string; webhookId: string; status: string };
const hooksOf = (ev: { deliveries: Delivery[] }) => ev.deliveries.map((d) => d.webhookId).sort();

/** Each test works in its own project so webhooks of other tests do not match. */
async function project(name: string) {
  const p = await createProject(s, name);
  const api = (method: string, path: string, opts: Parameters<TestServer['api']>[2] = {}) => s.api(method, path, { token: p.token, ...opts });
  const hook = (body: Record<string, unknown>) => createWebhook(s, body, p.token);
  const publish = async (body: Record<string, unknown>, headers?: Record<string, string>) =>
    expectOk(await api('POST', '/v1/events', { body, headers }), 202);
  return { ...p, api, hook, publish };
}

describe('POST /v1/events', () => {
  it('answers 202 {id, type, createdAt, deliveries}, one pending delivery per matching active webhook', async () => {
    const p = await project('Fanout');
    const match = await p.hook({ events: ['message.created'] });
    const wildcard = await p.hook({ events: ['message.*'] });
    const star = await p.hook({ events: ['*'] });
    await p.hook({ events: ['message.created'], active: false });
    await p.hook({ events: ['room.created', 'message.deleted'] });

    const res = await p.api('POST', '/v1/events', { body: { type: 'message.created', data: { id: 'msg_456', content: 'Hello, world!' } } });
    const ev = expectOk(res, 202);
    expect(Object.keys(ev).sort()).toEqual(['createdAt', 'deliveries', 'id', 'type']);
    expect(ev.id).toMatch(/^evt_/);
    expect(ev.type).toBe('message.created');
    expect(Math.abs(Date.parse(ev.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(hooksOf(ev)).toEqual([match.id, wildcard.id, star.id].sort());
    for (const d of ev.deliveries) {
      expect(d.id).toMatch(/^dlv_/);
      expect(d.status).toBe('pending');
    }
    expect(new Set(ev.deliveries.map((d: Delivery) => d.id)).size).toBe(3);
  });

  it('one matching active, one inactive and one non-matching webhook → exactly one delivery', async () => {
    const p = await project('ExactlyOne');
    const on = await p.hook({ events: ['security.alert.created'] });
    const off = await p.hook({ events: ['security.alert.created'], active: false });
    await p.hook({ events: ['security.scan.completed'] });
    const ev = await p.publish({ type: 'security.alert.created', data: { severity: 'high' } });
    expect(ev.deliveries).toHaveLength(1);
    expect(ev.deliveries[0].webhookId).toBe(on.id);

    // Re-activated, it gets the next event (not the one published while inactive).
    expectOk(await p.api('PUT', `/v1/webhooks/${off.id}`, { body: { active: true } }));
    const next = await p.publish({ type: 'security.alert.created', data: {} });
    expect(hooksOf(next)).toEqual([on.id, off.id].sort());
    const first = expectOk(await p.api('GET', `/v1/events/${ev.id}`));
    expect(first.deliveries.map((d: Delivery) => d.webhookId)).toEqual([on.id]);
  });

  it('an event with no subscriber is stored with no deliveries', async () => {
    const p = await project('Nobody');
    const ev = await p.publish({ type: 'system.maintenance.start', data: null });
    expect(ev.deliveries).toEqual([]);
    expect(expectOk(await p.api('GET', `/v1/events/${ev.id}`)).data).toBeNull();
  });

  it('spaces filter: a webhook with spaces gets only events of those spaces', async () => {
    const p = await project('Spaces');
    const s1 = await p.hook({ events: ['call_started'], spaces: ['space-1'] });
    const s12 = await p.hook({ events: ['call_started'], spaces: ['space-1', 'space-2'] });
    const any = await p.hook({ events: ['call_started'] });
    expect(hooksOf(await p.publish({ type: 'call_started', data: { roomId: 'r1' }, space: 'space-1' }))).toEqual([s1.id, s12.id, any.id].sort());
    expect(hooksOf(await p.publish({ type: 'call_started', data: {}, space: 'space-2' }))).toEqual([s12.id, any.id].sort());
    expect(hooksOf(await p.publish({ type: 'call_started', data: {}, space: 'space-3' }))).toEqual([any.id]);
    expect(hooksOf(await p.publish({ type: 'call_started', data: {} }))).toEqual([any.id]);
  });

  it('channels filter: a webhook with channels gets events sharing at least one channel', async () => {
    const p = await project('Channels');
    const a = await p.hook({ events: ['message.created'], channels: ['alpha'] });
    const ab = await p.hook({ events: ['message.created'], channels: ['alpha', 'beta'] });
    const any = await p.hook({ events: ['message.created'] });
    expect(hooksOf(await p.publish({ type: 'message.created', data: {}, channels: ['alpha'] }))).toEqual([a.id, ab.id, any.id].sort());
    expect(hooksOf(await p.publish({ type: 'message.created', data: {}, channels: ['beta', 'gamma'] }))).toEqual([ab.id, any.id].sort());
    expect(hooksOf(await p.publish({ type: 'message.created', data: {}, channels: ['gamma'] }))).toEqual([any.id]);
    expect(hooksOf(await p.publish({ type: 'message.created', data: {} }))).toEqual([any.id]);
  });

  it('data filter: equality on a dotted path', async () => {
    const p = await project('Filter');
    const paid = await p.hook({ events: ['*'], filter: { 'order.status': 'paid' } });
    const any = await p.hook({ events: ['*'] });
    expect(hooksOf(await p.publish({ type: 'room.created', data: { order: { status: 'paid' } } }))).toEqual([paid.id, any.id].sort());
    expect(hooksOf(await p.publish({ type: 'room.created', data: { order: { status: 'new' } } }))).toEqual([any.id]);
  });

  it('rejects unknown types and bad bodies with 422 and stores nothing', async () => {
    const p = await project('BadPublish');
    await p.hook({ events: ['*'] });
    const err = expectError(await p.api('POST', '/v1/events', { body: { type: 'no.such.type', data: {} } }), 422, 'VALIDATION_ERROR');
    expect(err.message).toContain('no.such.type');
    for (const body of [
      {},
      { type: 'message.created' },
      { data: {} },
      { type: 5, data: {} },
      { type: 'message.created', data: {}, channels: 'alpha' },
      { type: 'message.created', data: {}, space: 7 },
      { type: 'message.created', data: {}, id: '' },
      { type: 'message.created', data: {}, id: 'has space' },
    ]) {
      expectError(await p.api('POST', '/v1/events', { body }), 422, 'VALIDATION_ERROR');
    }
    expect(await totalOf(s, '/v1/events', p.token)).toBe(0);
  });
});

describe('idempotent publish', () => {
  it('the same body id twice → one event, the same answer with the same delivery ids', async () => {
    const p = await project('IdemId');
    await p.hook({ events: ['message.created'] });
    await p.hook({ events: ['message.*'] });
    await p.hook({ events: ['*'] });
    const first = await p.api('POST', '/v1/events', { body: { id: 'evt_client_1', type: 'message.created', data: { n: 1 } } });
    const a = expectOk(first, 202);
    expect(a.id).toBe('evt_client_1');
    expect(a.deliveries).toHaveLength(3);
    const second = await p.api('POST', '/v1/events', { body: { id: 'evt_client_1', type: 'message.created', data: { n: 2 } } });
    const b = expectOk(second, 202);
    expect(b).toEqual(a);
    expect(first.headers.get('idempotent-replayed')).toBe('false');
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await totalOf(s, '/v1/events', p.token)).toBe(1);
    // The stored data is the first one's.
    expect(expectOk(await p.api('GET', '/v1/events/evt_client_1')).data).toEqual({ n: 1 });
  });

  it('the same Idempotency-Key header twice → one event', async () => {
    const p = await project('IdemKey');
    await p.hook({ events: ['room.created'] });
    const a = await p.publish({ type: 'room.created', data: { r: 1 } }, { 'idempotency-key': 'key-123' });
    const b = await p.publish({ type: 'room.created', data: { r: 1 } }, { 'idempotency-key': 'key-123' });
    expect(b).toEqual(a);
    expect(a.deliveries).toHaveLength(1);
    const c = await p.publish({ type: 'room.created', data: { r: 1 } }, { 'idempotency-key': 'key-456' });
    expect(c.id).not.toBe(a.id);
    expect(await totalOf(s, '/v1/events', p.token)).toBe(2);
  });

  it('10 concurrent publishes with the same key → exactly one event stored, every answer the same', async () => {
    const p = await project('IdemRace');
    await p.hook({ events: ['message.created'] });
    await p.hook({ events: ['*'] });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => p.api('POST', '/v1/events', { body: { type: 'message.created', data: { i } }, headers: { 'idempotency-key': 'race-key' } })),
    );
    for (const r of answers) expect(r.status, r.text).toBe(202);
    const ids = new Set(answers.map((r) => r.body.data.id));
    expect(ids.size).toBe(1);
    const deliverySets = new Set(answers.map((r) => JSON.stringify(r.body.data.deliveries.map((d: Delivery) => d.id).sort())));
    expect(deliverySets.size).toBe(1);
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);
    expect(await totalOf(s, '/v1/events', p.token)).toBe(1);
    const stored = expectOk(await p.api('GET', `/v1/events/${[...ids][0]}`));
    expect(stored.deliveries).toHaveLength(2);
  });

  it('10 concurrent publishes with the same body id → exactly one event', async () => {
    const p = await project('IdemRaceId');
    await p.hook({ events: ['*'] });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => p.api('POST', '/v1/events', { body: { id: 'same-id', type: 'room.updated', data: {} } })),
    );
    for (const r of answers) expect(r.status, r.text).toBe(202);
    expect(new Set(answers.map((r) => r.body.data.deliveries[0].id)).size).toBe(1);
    expect(await totalOf(s, '/v1/events', p.token)).toBe(1);
  });

  it('any id the publish accepted can be read back: 200 characters, or with URL-special characters', async () => {
    const p = await project('LongIds');
    for (const id of ['e'.repeat(200), 'order/42?x=1#frag%20', "weird:id@host;[]{}|^~`'"]) {
      const ev = await p.publish({ id, type: 'message.created', data: { id } });
      expect(ev.id).toBe(id);
      const got = expectOk(await p.api('GET', `/v1/events/${encodeURIComponent(id)}`));
      expect(got).toMatchObject({ id, data: { id } });
    }
  });

  it('with both an id and an Idempotency-Key, either one already used answers its event', async () => {
    const p = await project('IdemBoth');
    await p.hook({ events: ['*'] });
    const first = await p.publish({ id: 'both-1', type: 'room.created', data: { n: 1 } }, { 'idempotency-key': 'both-key' });
    // The key again under a new id: the key's event, nothing new.
    const sameKey = await p.api('POST', '/v1/events', { body: { id: 'both-2', type: 'room.created', data: { n: 2 } }, headers: { 'idempotency-key': 'both-key' } });
    expect(expectOk(sameKey, 202)).toEqual(first);
    // The id again under a new key: the id's event.
    expect(await p.publish({ id: 'both-1', type: 'room.created', data: { n: 3 } }, { 'idempotency-key': 'other-key' })).toEqual(first);
    expect(await totalOf(s, '/v1/events', p.token)).toBe(1);
    expectError(await p.api('GET', '/v1/events/both-2'), 404, 'NOT_FOUND');
  });

  it('ids and keys are per project: the same id in two projects makes two events', async () => {
    const a = await project('IdemA');
    const b = await project('IdemB');
    const ea = await a.publish({ id: 'shared-id', type: 'room.created', data: { who: 'a' } }, { 'idempotency-key': 'shared-key' });
    const eb = await b.publish({ id: 'shared-id', type: 'room.created', data: { who: 'b' } }, { 'idempotency-key': 'shared-key' });
    expect(ea.id).toBe('shared-id');
    expect(eb.id).toBe('shared-id');
    expect(expectOk(await a.api('GET', '/v1/events/shared-id')).data).toEqual({ who: 'a' });
    expect(expectOk(await b.api('GET', '/v1/events/shared-id')).data).toEqual({ who: 'b' });
  });
});

describe('GET /v1/events', () => {
  it('lists newest first with pagination and a type filter; GET /{id} adds the deliveries', async () => {
    const p = await project('Reads');
    const hook = await p.hook({ events: ['*'] });
    const published = [];
    for (let i = 0; i < 3; i++) published.push(await p.publish({ type: 'message.created', data: { i } }));
    const other = await p.publish({ type: 'room.created', data: { room: 'x' }, space: 'sp', channels: ['c1'] });

    const all = await p.api('GET', '/v1/events');
    expect(expectOk(all).map((e: { id: string }) => e.id)).toEqual([other.id, ...published.map((e) => e.id).reverse()]);
    expect(all.body.pagination).toEqual({ total: 4, limit: 50, offset: 0, hasMore: false });
    expect(all.body.data[0]).toMatchObject({ id: other.id, type: 'room.created', data: { room: 'x' }, space: 'sp', channels: ['c1'] });

    const page = await p.api('GET', '/v1/events?limit=2&offset=1');
    expect(page.body.data.map((e: { id: string }) => e.id)).toEqual([published[2].id, published[1].id]);
    expect(page.body.pagination).toEqual({ total: 4, limit: 2, offset: 1, hasMore: true });

    const typed = await p.api('GET', '/v1/events?type=message.created');
    expect(typed.body.pagination.total).toBe(3);
    expect(typed.body.data.every((e: { type: string }) => e.type === 'message.created')).toBe(true);

    const one = expectOk(await p.api('GET', `/v1/events/${published[0].id}`));
    expect(one).toMatchObject({ id: published[0].id, type: 'message.created', createdAt: published[0].createdAt, data: { i: 0 } });
    expect(one.deliveries).toEqual([{ id: published[0].deliveries[0].id, webhookId: hook.id, status: 'pending' }]);

    expectError(await p.api('GET', '/v1/events/evt_nope'), 404, 'NOT_FOUND');
    expectError(await p.api('GET', '/v1/events?limit=0'), 400, 'VALIDATION_ERROR');
  });
});
