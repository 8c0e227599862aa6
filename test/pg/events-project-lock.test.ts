/**
 * On PostgreSQL an event row holds no foreign key to its project (migration 012): a publish
 * neither looks the project row up again nor share-locks it. So a transaction elsewhere
 * that holds the project row locked (a maintenance script, a long admin transaction) does
 * not hold publishes, and concurrent publish batches do not pile up locks on that row.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startTestServer, type TestServer } from '../helpers/server.js';

if (!PG_URL) console.log('[events-project-lock test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

describePg('events and the project row (PostgreSQL)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a publish is stored while another transaction holds its project row locked', async () => {
    const first = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { n: 1 } } });
    expect(first.status, first.text).toBe(202);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query(`select project_id from ${s.db.schema}.events where id = $1`, [first.body.data.id]);
      await c.query('begin');
      await c.query(`select 1 from ${s.db.schema}.projects where id = $1 for update`, [rows[0].project_id]);
      const started = Date.now();
      const held = s.api('POST', '/v1/events', { body: { type: 'message.created', data: { n: 2 } } });
      const answer = await Promise.race([held, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
      expect(answer, 'the publish waited on the lock of its project row').toBeDefined();
      expect(answer!.status, answer!.text).toBe(202);
      expect(Date.now() - started).toBeLessThan(3000);
      await c.query('rollback');
      await held;
      const { rows: fks } = await c.query(
        `select conname from pg_constraint where conrelid = $1::regclass and contype = 'f'`,
        [`${s.db.schema}.events`],
      );
      expect(fks).toEqual([]);
    } finally {
      await c.query('rollback').catch(() => undefined);
      await c.end();
    }
  });
});
