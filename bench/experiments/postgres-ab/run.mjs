/**
 * Two builds of Hookbridge on PostgreSQL, alternated: which one carries more events, at
 * what CPU? For changes to the PostgreSQL engine, where one bench run per build lands in
 * different minutes of a machine whose speed drifts by a third.
 *
 * Each run: a fresh schema, role `all`, one webhook to the bench receiver, 32 keep-alive
 * publishers closed-loop for 2 s of warm-up and S seconds measured. One JSON line per run:
 * events received per second inside the window, Hookbridge's CPU per event, the PostgreSQL
 * server processes' CPU per event, and how busy the machine's cores were (from /proc).
 * Rounds alternate the order of the builds; the medians come last.
 *
 *   npm run build && cp -r dist node_modules/.cache/ab-a   (then change, build, copy to ab-b)
 *   R=4 S=8 node bench/experiments/postgres-ab/run.mjs node_modules/.cache/ab-a node_modules/.cache/ab-b
 *
 * The copies must sit inside the checkout, so their imports find node_modules. A build may
 * name Node flags after a colon (`node_modules/.cache/ab-a:--single-threaded-gc`): the same
 * code, started differently.
 * DATABASE_URL picks the server (default postgres://postgres@127.0.0.1:5432/test).
 * DB=sqlite runs the same on a fresh SQLite file per run instead (the PostgreSQL column is then 0).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { cpuSeconds, freePort, killAll, postgresCpuBetween, postgresServerCpu, startHookbridge, startReceiver } from '../../procs.mjs';
import { medianBy, now, sleep } from '../../load.mjs';

const PG = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SQLITE = process.env.DB === 'sqlite';
/** `<dir>` or `<dir>:<node flag>[,<node flag>…]`, e.g. `node_modules/.cache/ab-a:--single-threaded-gc`. */
const builds = process.argv.slice(2);
const parse = (b) => { const [dir, flags] = b.split(':'); return { dir: path.resolve(dir), nodeArgs: flags ? flags.split(',') : [] }; };
if (builds.length < 1) throw new Error('usage: run.mjs <dist copy> [<dist copy> …]');
const ROUNDS = Number(process.env.R ?? 4);
const SECONDS = Number(process.env.S ?? 8);
const PUBLISHERS = 32;
const token = `hb_admin_${randomBytes(16).toString('hex')}`;
const secretKey = randomBytes(32).toString('hex');

const query = async (text) => {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
};
/** Busy core-seconds of the whole machine so far. */
const machineBusy = () => {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;
};
const publishBody = (i) => JSON.stringify({ type: 'message.created', data: { i, text: 'hello world '.repeat(8), user: { id: `u${i % 100}` } } });
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function run(build, receiver) {
  const schema = `ab_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG);
  url.searchParams.set('schema', schema);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-pg-ab-'));
  if (!SQLITE) await query('checkpoint');
  const { dir, nodeArgs } = parse(build);
  const hb = await startHookbridge({ cli: path.join(dir, 'cli.js'), nodeArgs, role: 'all', databaseUrl: SQLITE ? `sqlite:${path.join(cwd, 'ab.db')}` : url.toString(), port: await freePort(), adminToken: token, secretKey, cwd, logLevel: 'warn', cpuProfDir: process.env.PROF });
  const api = new Pool(hb.url, { connections: PUBLISHERS, pipelining: 1 });
  try {
    const w = await api.request({ path: '/v1/webhooks', method: 'POST', headers: auth, body: JSON.stringify({ name: 'ab', url: `${receiver.origin}/hook`, events: ['message.created'] }) });
    if (w.statusCode !== 201) throw new Error(`creating the webhook answered ${w.statusCode}: ${await w.body.text()}`);
    await w.body.dump();
    await receiver.reset();
    const from = now() + 2000;
    const to = from + SECONDS * 1000;
    // The server's processes one by one (this bench is its only client): a backend that ends
    // inside the window does not take its earlier CPU off the sum.
    const snap = () => ({ hb: cpuSeconds(hb.child.pid), pg: postgresServerCpu() ?? new Map(), machine: machineBusy() });
    let a;
    let b;
    const ta = setTimeout(() => (a = snap()), from - now());
    const tb = setTimeout(() => (b = snap()), to - now());
    let seq = 0;
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (now() < to) {
          const res = await api.request({ path: '/v1/events', method: 'POST', headers: auth, body: publishBody(seq++) });
          await res.body.dump();
        }
      }),
    );
    clearTimeout(ta);
    clearTimeout(tb);
    b ??= snap(); // the last publish can end a hair before the timer fires
    await sleep(1500); // the last deliveries of the window
    const received = (await receiver.window(from, to)).unique;
    const per = (x) => Math.round((x / received) * 1e6);
    return {
      build,
      receivedPerSecond: Math.round(received / SECONDS),
      hookbridgeCpuUsPerEvent: per(b.hb - a.hb),
      postgresCpuUsPerEvent: per(postgresCpuBetween(a.pg, b.pg)),
      machineBusyCores: Math.round(((b.machine - a.machine) / SECONDS) * 100) / 100,
    };
  } finally {
    await api.close();
    await hb.stop(20_000);
    if (!SQLITE) await query(`drop schema if exists ${schema} cascade`);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

const receiver = await startReceiver();
const out = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const build of r % 2 ? [...builds].reverse() : builds) {
      const row = await run(build, receiver);
      console.log(JSON.stringify(row));
      out.push(row);
    }
  }
  for (const build of builds) {
    const rows = out.filter((o) => o.build === build);
    const rates = rows.map((o) => o.receivedPerSecond).sort((x, y) => x - y);
    console.log(`${build}: ${rates.join(' / ')} ev/s, median ${medianBy(rates)}; Hookbridge CPU median ${medianBy(rows.map((o) => o.hookbridgeCpuUsPerEvent))} µs/event`);
  }
} finally {
  await killAll();
}
process.exit(0);
