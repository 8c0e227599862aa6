/** SPEC §3: the per-project event catalog, pre-loaded from seeds 001 and 002. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_ONLY, createProject, expectError, expectOk } from './_support.js';

const SEED_001 = [
  'trust.identity.created',
  'trust.identity.updated',
  'trust.verification.created',
  'trust.verification.updated',
  'trust.reputation.updated',
  'message.created',
  'message.updated',
  'message.deleted',
  'room.created',
  'room.updated',
  'room.member.joined',
  'room.member.left',
  'analytics.report.created',
  'analytics.report.completed',
  'analytics.metric.updated',
  'security.alert.created',
  'security.alert.updated',
  'security.scan.completed',
  'system.maintenance.start',
  'system.maintenance.end',
  'system.status.changed',
];
const SEED_002 = ['call_started', 'call_finished', 'record_started', 'record_finished', 'record_failed'];

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ ...API_ONLY });
});
afterAll(async () => s?.stop());

async function allNames(token?: string): Promise<string[]> {
  const res = await s.api('GET', '/v1/event-types?limit=1000', { token });
  return expectOk(res).map((t: { name: string }) => t.name);
}

describe('seeded catalog', () => {
  it('the default project has the 21 seed 001 events and the 5 seed 002 events', async () => {
    expect(SEED_001).toHaveLength(21);
    const names = await allNames();
    expect(names).toEqual(expect.arrayContaining([...SEED_001, ...SEED_002]));
    const msg = expectOk(await s.api('GET', '/v1/event-types/message.created'));
    expect(msg).toMatchObject({ name: 'message.created', category: 'message' });
    expect(typeof msg.description).toBe('string');
    expect(msg.description.length).toBeGreaterThan(0);
    expect(expectOk(await s.api('GET', '/v1/event-types/record_failed')).name).toBe('record_failed');
  });

  it('a project created through the API is pre-loaded too', async () => {
    const { token } = await createProject(s, 'Catalog');
    expect(await allNames(token)).toEqual(expect.arrayContaining([...SEED_001, ...SEED_002]));
  });

  it('lists with pagination and filters by category', async () => {
    const res = await s.api('GET', '/v1/event-types?limit=5&offset=0');
    expect(expectOk(res)).toHaveLength(5);
    const total = res.body.pagination.total;
    expect(total).toBeGreaterThanOrEqual(26);
    expect(res.body.pagination).toEqual({ total, limit: 5, offset: 0, hasMore: true });

    const tail = await s.api('GET', `/v1/event-types?limit=5&offset=${total - 2}`);
    expect(tail.body.data).toHaveLength(2);
    expect(tail.body.pagination.hasMore).toBe(false);

    const messages = await s.api('GET', '/v1/event-types?category=message');
    expect(expectOk(messages).map((t: { name: string }) => t.name).sort()).toEqual(['message.created', 'message.deleted', 'message.updated']);
    expect(messages.body.pagination.total).toBe(3);
  });

  it('bad paging values are a 400 with the envelope', async () => {
    expectError(await s.api('GET', '/v1/event-types?limit=abc'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/event-types?limit=0'), 400, 'VALIDATION_ERROR');
    expectError(await s.api('GET', '/v1/event-types?offset=-1'), 400, 'VALIDATION_ERROR');
  });
});

describe('CRUD', () => {
  it('adds, reads, updates (partially) and removes an event type', async () => {
    const created = expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'invoice.paid', description: 'An invoice was paid' } }), 201);
    expect(created).toMatchObject({ name: 'invoice.paid', description: 'An invoice was paid', category: 'invoice' });
    expect(new Date(created.createdAt).toString()).not.toBe('Invalid Date');

    expect(expectOk(await s.api('GET', '/v1/event-types/invoice.paid'))).toMatchObject({ name: 'invoice.paid', category: 'invoice' });
    expect(await allNames()).toContain('invoice.paid');

    const updated = expectOk(await s.api('PUT', '/v1/event-types/invoice.paid', { body: { description: 'Paid in full' } }));
    expect(updated).toMatchObject({ name: 'invoice.paid', description: 'Paid in full', category: 'invoice' });
    const recat = expectOk(await s.api('PUT', '/v1/event-types/invoice.paid', { body: { category: 'billing' } }));
    expect(recat).toMatchObject({ description: 'Paid in full', category: 'billing' });

    const del = await s.api('DELETE', '/v1/event-types/invoice.paid');
    expect(del.status).toBe(204);
    expectError(await s.api('GET', '/v1/event-types/invoice.paid'), 404, 'NOT_FOUND');
    expectError(await s.api('PUT', '/v1/event-types/invoice.paid', { body: { description: 'x' } }), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', '/v1/event-types/invoice.paid'), 404, 'NOT_FOUND');
    expect(await allNames()).not.toContain('invoice.paid');
  });

  it('an explicit category is kept; a dotless name falls in "custom"', async () => {
    expect(expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'order.shipped', category: 'logistics' } }), 201).category).toBe(
      'logistics',
    );
    expect(expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'ping' } }), 201)).toMatchObject({
      category: 'custom',
      description: '',
    });
  });

  it('a duplicate name is a 409', async () => {
    expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'dup.event' } }), 201);
    expectError(await s.api('POST', '/v1/event-types', { body: { name: 'dup.event' } }), 409, 'CONFLICT');
    expectError(await s.api('POST', '/v1/event-types', { body: { name: 'message.created' } }), 409, 'CONFLICT');
  });

  it('rejects bad names and types without writing anything', async () => {
    const before = (await s.api('GET', '/v1/event-types')).body.pagination.total;
    for (const body of [{}, { name: '' }, { name: 'has space' }, { name: 'trailing.' }, { name: 'a..b' }, { name: 12 }, { name: 'x.y', description: 5 }]) {
      expectError(await s.api('POST', '/v1/event-types', { body }), 422, 'VALIDATION_ERROR');
    }
    expect((await s.api('GET', '/v1/event-types')).body.pagination.total).toBe(before);
  });

  it('a new event type can be subscribed to and published', async () => {
    expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'invoice.created' } }), 201);
    const hook = expectOk(await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/inv', events: ['invoice.*'] } }), 201);
    const ev = expectOk(await s.api('POST', '/v1/events', { body: { type: 'invoice.created', data: { n: 1 } } }), 202);
    expect(ev.deliveries.map((d: { webhookId: string }) => d.webhookId)).toEqual([hook.id]);
  });

  it('an event type deleted while a webhook subscribes to it: the webhook read back goes through PUT as it is; a new unknown name is still refused', async () => {
    expectOk(await s.api('POST', '/v1/event-types', { body: { name: 'parcel.sent' } }), 201);
    const hook = expectOk(await s.api('POST', '/v1/webhooks', { body: { url: 'https://example.com/parcel', events: ['parcel.sent', 'message.created'] } }), 201);
    expect((await s.api('DELETE', '/v1/event-types/parcel.sent')).status).toBe(204);
    const read = expectOk(await s.api('GET', `/v1/webhooks/${hook.id}`), 200);
    const back = expectOk(await s.api('PUT', `/v1/webhooks/${hook.id}`, { body: { ...read, name: 'renamed' } }), 200);
    expect(back.events).toEqual(['parcel.sent', 'message.created']);
    const added = expectError(await s.api('PUT', `/v1/webhooks/${hook.id}`, { body: { events: ['parcel.sent', 'parcel.lost'] } }), 422, 'VALIDATION_ERROR');
    expect(added.details[0]).toMatchObject({ field: 'events', unknown: ['parcel.lost'] });
  });

  it('event types are per project', async () => {
    const { token } = await createProject(s, 'OwnCatalog');
    expectOk(await s.api('POST', '/v1/event-types', { token, body: { name: 'only.in.b' } }), 201);
    expect(await allNames(token)).toContain('only.in.b');
    expect(await allNames()).not.toContain('only.in.b');
    expectError(await s.api('GET', '/v1/event-types/only.in.b'), 404, 'NOT_FOUND');
    expectError(await s.api('DELETE', '/v1/event-types/only.in.b'), 404, 'NOT_FOUND');
    // Deleting a seeded type in one project leaves the other's catalog alone.
    expect((await s.api('DELETE', '/v1/event-types/room.updated', { token })).status).toBe(204);
    expect(await allNames()).toContain('room.updated');
    expect(await allNames(token)).not.toContain('room.updated');
  });
});
