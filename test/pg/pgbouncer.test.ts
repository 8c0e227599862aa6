/**
 * Behind PgBouncer. A real one (Debian's `pgbouncer` package, session pooling) in front of
 * a database of its own (dropped afterwards). PgBouncer refuses a connection whose
 * `options` startup parameter it does not know, so the server sets its sessions up with
 * plain `SET`s instead (db.ts, sessionSetup): its `?schema=` and its hot statements'
 * connections work through PgBouncer as without it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, until } from '../helpers/wait.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';
const have = fs.existsSync(PGBOUNCER);
if (PG_URL && !have) {
  if (process.env.CI === 'true') throw new Error(`the PgBouncer test needs ${PGBOUNCER} (apt-get install -y pgbouncer) and CI=true requires it`);
  console.log(`[pgbouncer test] skipped: ${PGBOUNCER} is missing (apt-get install -y pgbouncer)`);
}
if (!PG_URL) console.log('[pgbouncer test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describeIt = PG_URL && have ? describe : describe.skip;

describeIt('behind PgBouncer (PostgreSQL)', () => {
  const SCHEMA = 'hb_behind_bouncer';
  const dbName = `t_pgb_${randomBytes(4).toString('hex')}`;
  let dir = '';
  let bouncer: ChildProcess | undefined;
  let s: TestServer;
  let sink: http.Server;
  let port: number;
  const received: unknown[] = [];
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-pgbouncer-'));
    await admin(`create database ${dbName}`);
    const target = new URL(PG_URL!);
    port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `${dbName} = host=${target.hostname} port=${target.port || 5432} dbname=${dbName} user=${decodeURIComponent(target.username) || 'postgres'}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${path.join(dir, 'users.txt')}`,
        'pool_mode = session',
        `logfile = ${path.join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'users.txt'), `"${decodeURIComponent(target.username) || 'postgres'}" ""\n`);
    // PgBouncer will not run as root: as the postgres user, where the tests run as root.
    const asUser = process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
    if (asUser !== undefined) {
      for (const f of ['.', ...fs.readdirSync(dir)]) fs.chownSync(path.join(dir, f), asUser, asUser);
    }
    bouncer = spawn(PGBOUNCER, [path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore', ...(asUser !== undefined && { uid: asUser, gid: asUser }) });
    const url = `postgres://${target.username || 'postgres'}@127.0.0.1:${port}/${dbName}`;
    await until('PgBouncer to answer', 10_000, async () => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await c.query('select 1');
        return true;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => {});
      }
    });
    // It refuses session settings sent as a startup option: the case this test is about.
    const refused = new pg.Client({ connectionString: url, options: '-c enable_seqscan=off' });
    await expect(refused.connect()).rejects.toThrow(/unsupported startup parameter/);
    await refused.end().catch(() => {});

    sink = http
      .createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push(JSON.parse(body).data);
          res.end('ok');
        });
      })
      .listen(0, '127.0.0.1');
    await new Promise((r) => sink.once('listening', r));
    s = await startTestServer({}, { url: `${url}?schema=${SCHEMA}`, schema: SCHEMA, drop: async () => {} });
  });

  afterAll(async () => {
    await s?.stop();
    sink?.close();
    bouncer?.kill();
    if (bouncer) await new Promise((r) => (bouncer!.exitCode !== null ? r(null) : bouncer!.once('exit', r)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await admin(`drop database if exists ${dbName}`);
  });

  it('publishes are stored (in the ?schema= named) and delivered; the hot statements run on their own connections, on generic plans', async () => {
    const sinkPort = (sink.address() as { port: number }).port;
    const w = await s.api('POST', '/v1/webhooks', { body: { url: `http://127.0.0.1:${sinkPort}/hook`, events: ['message.created'] } });
    expect(w.status, w.text).toBe(201);
    for (let n = 0; n < 5; n++) {
      const r = await s.api('POST', '/v1/events', { body: { type: 'message.created', data: { n } } });
      expect(r.status, r.text).toBe(202);
    }
    await until('the five deliveries', 10_000, () => received.length >= 5);
    expect(received.map((d) => (d as { n: number }).n).sort()).toEqual([0, 1, 2, 3, 4]);
    const store = s.repos.store;
    expect(store.hotPool).toBeDefined();
    expect([(store.pool!.options as pg.PoolConfig).max, (store.hotPool!.options as pg.PoolConfig).max]).toEqual([6, 4]);
    const hot = await store.hotPool!.connect();
    try {
      const r = await hot.query(`select current_schema() as s, current_setting('plan_cache_mode') as p, current_setting('enable_seqscan') as q`);
      expect(r.rows[0]).toMatchObject({ s: SCHEMA, p: 'force_generic_plan', q: 'off' });
    } finally {
      hot.release();
    }
    // The tables are in the schema named, reached through PgBouncer.
    const c = new pg.Client({ connectionString: PG_URL!.replace(/\/[^/?]*(\?.*)?$/, `/${dbName}`) });
    await c.connect();
    try {
      const { rows } = await c.query(`select count(*)::int as n from ${SCHEMA}.events`);
      expect(rows[0].n).toBe(5);
    } finally {
      await c.end();
    }
  });
});
