/**
 * On PostgreSQL one process stores publishes in several batches at once: a publish that
 * is held (here by a row lock another connection keeps on its idempotency key) does not
 * hold the publishes after it. A project with a FIFO webhook keeps one line instead, so
 * its events are stored, and sent, in the order they arrived.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startTestServer, type TestServer } from '../helpers/server.js';

if (!PG_URL) console.log('[publish-lanes test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

describePg('publishes in lanes (PostgreSQL)', () => {
  let s: TestServer;
  let sink: http.Server;
  let url: string;
  const received: string[] = [];
  beforeAll(async () => {
    s = await startTestServer();
    sink = http
      .createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push(JSON.parse(body).data.n);
          res.end('ok');
        });
      })
      .listen(0, '127.0.0.1');
    await new Promise((r) => sink.once('listening', r));
    url = `http://127.0.0.1:${(sink.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await s?.stop();
    sink?.close();
  });

  const publish = (n: string, idempotencyKey?: string) =>
    s.api('POST', '/v1/events', { body: { type: 'message.created', data: { n } }, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });

  /** Another connection stores an event with `key` and keeps its transaction open: a publish with that key waits on it. */
  async function holdKey(key: string) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query(`select project_id from ${s.db.schema}.events limit 1`);
    const { rows: me } = await c.query('select pg_backend_pid() as pid');
    await c.query('begin');
    await c.query(
      `insert into ${s.db.schema}.events (project_id, id, type, payload, space, channels, idempotency_key, created_at, test)
       values ($1, $2, 'message.created', '{}', null, '[]', $3, $4, 0)`,
      [rows[0].project_id, `evt_held_${key}`, key, Date.now()],
    );
    let released = false;
    return {
      /** Resolves once a publish waits on this lock (another backend waiting for a lock this one holds). */
      async waitedOn() {
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          // This connection is inside the held transaction, where pg_stat_activity is a snapshot
          // taken at its first read: cleared, each poll sees backends connected since (a
          // publish may come on a connection its pool opens for it).
          await c.query('select pg_stat_clear_snapshot()');
          const { rows: w } = await c.query('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [me[0].pid]);
          if (w[0].n > 0) return;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error('no publish came to wait on the held key');
      },
      async release() {
        if (released) return;
        released = true;
        await c.query('rollback');
        await c.end();
      },
    };
  }
  const answered = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  it('a held publish does not hold the ones after it; once let go, it is stored too', async () => {
    const w = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'] } });
    expect(w.status, w.text).toBe(201);
    expect((await publish('first')).status).toBe(202); // the project's webhooks are read now
    const held = await holdKey('k1');
    try {
      const stuck = publish('stuck', 'k1');
      await held.waitedOn();
      for (const n of ['a', 'b', 'c']) {
        const r = publish(n);
        expect(await answered(r, 5000), `publish ${n} answered while another publish is held`).toBe(true);
        expect((await r).status).toBe(202);
      }
      expect(await answered(stuck, 50)).toBe(false);
      await held.release();
      const r = await stuck;
      expect(r.status, r.text).toBe(202);
      expect((await s.api('GET', `/v1/events/${r.body.data.id}`)).status).toBe(200);
    } finally {
      await held.release();
    }
  });

  it('in a project with a FIFO webhook, a publish that arrives later waits: events are stored and sent in arrival order', async () => {
    const list = await s.api('GET', '/v1/webhooks');
    for (const x of list.body.data) await s.api('DELETE', `/v1/webhooks/${x.id}`);
    const w = await s.api('POST', '/v1/webhooks', { body: { url, events: ['message.created'], ordering: 'fifo' } });
    expect(w.status, w.text).toBe(201);
    expect((await publish('fifo-first')).status).toBe(202);
    const held = await holdKey('k2');
    try {
      const stuck = publish('fifo-held', 'k2');
      await held.waitedOn();
      const later = publish('fifo-later');
      expect(await answered(later, 1000), 'a later publish in a FIFO project waits for the held one').toBe(false);
      await held.release();
      expect((await stuck).status).toBe(202);
      expect((await later).status).toBe(202);
    } finally {
      await held.release();
    }
    const deadline = Date.now() + 15_000;
    while (!received.includes('fifo-later') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received.filter((n) => n.startsWith('fifo-'))).toEqual(['fifo-first', 'fifo-held', 'fifo-later']);
  });
});
