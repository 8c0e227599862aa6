/**
 * On PostgreSQL a publish matches events against the project's webhooks as it last read
 * them, and its insert checks in the same statement that they are unchanged (a
 * fingerprint of every active webhook's filters). Here the webhooks change through
 * another instance over the same database, which this instance hears nothing about:
 * its very next publish must match the new set — added, filtered, turned off, deleted.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, freshDatabase, startTestServer, type TestDb, type TestServer } from '../helpers/server.js';

if (!PG_URL) console.log('[publish-targets test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

describePg('publish sees webhook changes made by another instance at once (PostgreSQL)', () => {
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  let sink: http.Server;
  let url: string;
  beforeAll(async () => {
    db = freshDatabase();
    // `api` roles: nothing is sent, so the deliveries stay as the publish made them.
    a = await startTestServer({ HOOKBRIDGE_ROLE: 'api' }, db);
    b = await startTestServer({ HOOKBRIDGE_ROLE: 'api' }, db);
    sink = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await new Promise((r) => sink.once('listening', r));
    url = `http://127.0.0.1:${(sink.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await b?.close();
    await a?.stop();
    sink?.close();
  });

  const publishOnA = async (data: Record<string, unknown>) => {
    const r = await a.api('POST', '/v1/events', { body: { type: 'message.created', data } });
    expect(r.status, r.text).toBe(202);
    return (r.body.data.deliveries as Array<{ webhookId: string }>).map((d) => d.webhookId).sort();
  };

  it('added, filtered, turned off and deleted on B: A’s next publish matches each state', async () => {
    expect(await publishOnA({ n: 0 })).toEqual([]); // A has read the (empty) set now

    const w1 = (await b.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } })).body.data.id as string;
    expect(await publishOnA({ n: 1 })).toEqual([w1]);

    const w2 = (await b.api('POST', '/v1/webhooks', { body: { url, events: ['message.*'], filter: { 'room.id': 'r1' } } })).body.data.id as string;
    expect(await publishOnA({ room: { id: 'r2' } })).toEqual([w1]);
    expect(await publishOnA({ room: { id: 'r1' } })).toEqual([w1, w2].sort());

    const patched = await b.api('PUT', `/v1/webhooks/${w2}`, { body: { url, events: ['message.*'], filter: { 'room.id': 'r2' } } });
    expect(patched.status, patched.text).toBe(200);
    expect(await publishOnA({ room: { id: 'r1' } })).toEqual([w1]);
    expect(await publishOnA({ room: { id: 'r2' } })).toEqual([w1, w2].sort());

    expect((await b.api('PUT', `/v1/webhooks/${w1}`, { body: { url, events: ['message.created'], active: false } })).status).toBe(200);
    expect(await publishOnA({ room: { id: 'r2' } })).toEqual([w2]);

    expect((await b.api('DELETE', `/v1/webhooks/${w2}`)).status).toBe(204);
    expect(await publishOnA({ room: { id: 'r2' } })).toEqual([]);
  });

  it('a later migration adding columns while A runs: A’s prepared publish statement goes on storing', async () => {
    // A's publish insert is a named prepared statement on each of its connections; a
    // newer version's migration (here: a column on events and on deliveries) must not break it.
    const w = (await b.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } })).body.data.id as string;
    for (let i = 0; i < 12; i++) expect(await publishOnA({ before: i })).toEqual([w]); // prepared on several connections
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`alter table ${db.schema}.events add column later_col integer`);
      await c.query(`alter table ${db.schema}.deliveries add column later_col text default 'x'`);
    } finally {
      await c.end();
    }
    for (let i = 0; i < 12; i++) expect(await publishOnA({ after: i })).toEqual([w]);
    const listed = await a.api('GET', `/v1/deliveries?webhookId=${w}&limit=1`);
    expect(listed.body.pagination.total).toBe(24);
  });
});
