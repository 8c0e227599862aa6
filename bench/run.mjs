/**
 * `npm run bench`: every figure of issue 11's table (and issue 12's worker rows) in one
 * run, side by side, measured from outside on whatever dist/ holds (`npm run bench`
 * builds it first; the run uses a private copy). One JSON in bench/results/<ISO>.json,
 * and a table: figure, value, baseline (the issue's "today"), target, PASS/MISS.
 *
 * Sections (BENCH_ONLY picks some; each one's failure is reported, the others still run):
 *   raw        the receiver's ceiling: undici keep-alive POSTs straight to it (context only)
 *   throughput 32 keep-alive publishers (closed loop, undici Pool) → system → receiver
 *              process, BENCH_WARMUP_SECONDS then BENCH_SECONDS; the figure is events the
 *              receiver got per second in that window (first receipts, end to end), for:
 *                relay     bench/relay.mjs: Fastify + undici forward, no storage
 *                graphile  bench/graphile.mjs: Fastify → addJob → task POSTs (PostgreSQL)
 *                sqlite    Hookbridge role all on a fresh SQLite file, one webhook
 *                postgres  Hookbridge role all on a fresh PostgreSQL schema, one webhook
 *              then waits (≤ BENCH_DRAIN_SECONDS) for the backlog: every accepted event
 *              must arrive, none twice, or the row is marked.
 *   accept     publish accept latency at BENCH_RATE ev/s open loop (fresh instance, webhook
 *              delivering), SQLite and PostgreSQL; also publish → received latency. The relay
 *              too, through the same client: the tail this machine adds to any publish
 *   meetings   POST /webhook/kontur-create (mock provider, fresh SQLite) vs bench/bare.mjs,
 *              autocannon, 10 connections, every request a new channel_id/user_id
 *   backlog    BENCH_SMALL and BENCH_BIG pending deliveries written straight into a fresh
 *              SQLite file (bench/backlog.mjs clones the rows one real publish wrote), then
 *              Hookbridge role all: peak RSS (VmHWM) and the drain rate at the receiver
 *              from 1 s after the first delivery to BENCH_DRAIN_WINDOW s after it (or to
 *              its 90th-percentile delivery, when the small backlog is through sooner;
 *              each size runs BENCH_SMALL_RUNS / BENCH_BIG_RUNS times from fresh files: the
 *              median rates count, and the worst run's peak RSS)
 *   workers    issue 12: PostgreSQL, one api process taking the publishes and N processes
 *              with HOOKBRIDGE_ROLE=worker (N in BENCH_WORKERS), throughput as above
 *
 * Knobs (env):
 *   BENCH_ONLY=raw,throughput,accept,meetings,backlog,workers   sections to run (all)
 *   BENCH_DATABASES=sqlite,postgres    Hookbridge databases to run (both)
 *   DATABASE_URL                       PostgreSQL (postgres://postgres@127.0.0.1:5432/test);
 *                                      every run gets fresh schemas, dropped afterwards
 *                                      (the system catalogs are vacuumed first: scripts/vacuum-catalogs.mjs).
 *                                      Unreachable: PostgreSQL rows are skipped, with why.
 *   BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2)   throughput window and warm-up
 *   BENCH_PUBLISHERS (32)              closed-loop publishers (keep-alive connections)
 *   BENCH_DRAIN_SECONDS (30)           cap on waiting for a throughput run's backlog
 *   BENCH_RATE (500), BENCH_RATE_SECONDS (10)      open-loop accept-latency run
 *   BENCH_ACCEPT_WARMUP_SECONDS (10)   its warm-up: at 500 ev/s a fresh Node process on two shared
 *                                      cores spends its first ~8 s compiling (V8's optimising
 *                                      compiler threads busy, every call slower); the p99 over the
 *                                      warm-up is reported beside the figure, not counted in it
 *   BENCH_MEETINGS_SECONDS (10)        autocannon duration (after a 2 s warm-up)
 *   BENCH_BIG (1000000), BENCH_SMALL (10000)       backlog sizes
 *   BENCH_DRAIN_WINDOW (15)            seconds of backlog drain measured
 *   BENCH_SMALL_RUNS (3)               fresh runs of the small backlog; its median rate is the baseline
 *   BENCH_BIG_RUNS (3)                 fresh runs of the large backlog: its median rate, and the worst run's peak RSS
 *   BENCH_WORKERS (1,2,3)              worker-process counts for the issue 12 rows
 *   BENCH_RAW_SECONDS (5)              receiver ceiling measurement
 *   BENCH_LOG_LEVEL (warn)             Hookbridge children's LOG_LEVEL
 *   BENCH_CPU_PROF=<dir>               --cpu-prof the Hookbridge children into <dir>/<case>
 *   BENCH_CPU_PROF_INTERVAL (1000)     their sampling interval, µs (200 shows what one stall of the
 *                                      event loop was made of)
 *   BENCH_NODE_ARGS                    extra Node options for the Hookbridge children (space-separated),
 *                                      e.g. --require=<preload> for a diagnostic
 *   BENCH_DIST=<dir>                   measure that build instead of dist/ (a copy of dist/ inside the checkout,
 *                                      e.g. node_modules/.cache/ab-a: two builds measured in turn)
 *   BENCH_CHILD_LOG=<file>             append the Hookbridge children's stdout there (e.g. --trace-gc-nvp output)
 *   BENCH_ROUNDS (3)                   interleaved rounds of the throughput, accept and meetings
 *                                      sections: each system's median run is its figure
 *   BENCH_CAP_SECONDS (2400)           the whole run is stopped past this
 *   BENCH_RESULTS_DIR (bench/results)  where the JSON goes
 *
 * This machine's speed drifts by a third within minutes, and a single run of a system can
 * land in a slow minute. So the throughput, accept and meetings sections run every system
 * of theirs BENCH_ROUNDS times, interleaved (round r starts r systems further along, so
 * none always goes first), and take each system's median run (of an even count, the
 * lower-valued of the middle two); the table shows every round's value (and, for ratios,
 * the ratio round by round) beside it. A ratio is the ratio of the two median runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import pg from 'pg';
import autocannon from 'autocannon';
import { ROOT, cpuSeconds, freePort, killAll, memoryMiB, postgresCpuBetween, postgresServerCpu, sampleMemory, snapshotDist, startForked, startHookbridge, startReceiver } from './procs.mjs';
import { closedLoop, medianBy, now, openLoop, sleep, summarize } from './load.mjs';
import { vacuumCatalogs } from '../scripts/vacuum-catalogs.mjs';
import { tableRows } from './backlog.mjs';

const int = (name, d) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(v) && v > 0 ? v : d;
};
const list = (name, d) => (process.env[name] ? process.env[name].split(',').map((s) => s.trim()).filter(Boolean) : d);
const SECTIONS = ['raw', 'throughput', 'accept', 'meetings', 'backlog', 'workers'];
const CFG = {
  sections: list('BENCH_ONLY', SECTIONS),
  databases: list('BENCH_DATABASES', ['sqlite', 'postgres']),
  seconds: int('BENCH_SECONDS', 10),
  warmupSeconds: int('BENCH_WARMUP_SECONDS', 2),
  acceptWarmupSeconds: int('BENCH_ACCEPT_WARMUP_SECONDS', 10),
  publishers: int('BENCH_PUBLISHERS', 32),
  drainSeconds: int('BENCH_DRAIN_SECONDS', 30),
  rate: int('BENCH_RATE', 500),
  rateSeconds: int('BENCH_RATE_SECONDS', 10),
  meetingsSeconds: int('BENCH_MEETINGS_SECONDS', 10),
  meetingsConnections: 10,
  big: int('BENCH_BIG', 1_000_000),
  small: int('BENCH_SMALL', 10_000),
  drainWindowSeconds: int('BENCH_DRAIN_WINDOW', 15),
  smallRuns: int('BENCH_SMALL_RUNS', 3),
  bigRuns: int('BENCH_BIG_RUNS', 3),
  workers: list('BENCH_WORKERS', ['1', '2', '3']).map(Number).filter((n) => Number.isInteger(n) && n > 0),
  rawSeconds: int('BENCH_RAW_SECONDS', 5),
  rawConcurrency: 50,
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  cpuProfDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
  cpuProfIntervalUs: int('BENCH_CPU_PROF_INTERVAL', undefined),
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  rounds: int('BENCH_ROUNDS', 3),
  capSeconds: int('BENCH_CAP_SECONDS', 2400),
  resultsDir: path.resolve(process.env.BENCH_RESULTS_DIR || path.join(ROOT, 'bench', 'results')),
  /** graphile-worker pipeline: job concurrency, and the size of its pg pool and its undici pool. */
  graphile: { concurrency: 32, pool: 40 },
};
const PG_DEFAULT = 'postgres://postgres@127.0.0.1:5432/test';
/** Backlog drain rates start this long after the first delivery (warm-up excluded for both sizes). */
const DRAIN_SKIP_MS = 1000;

/** Issue 11's table: the "today" column as baseline, and the targets. */
const ISSUE = {
  sqliteRelay: { baseline: '0.15 (≈1,400 vs 9,300 ev/s)', min: 0.5 },
  pgRelay: { baseline: '0.12–0.24', min: 0.4 },
  pgGraphile: { baseline: '2.6', min: 3 },
  acceptSqlite: { baseline: '6.7 ms', maxMs: 5 },
  acceptPg: { baseline: '28.5 ms', maxMs: 10 },
  meetingsRatio: { baseline: '0.21 (2,065 vs 9,747 req/s)', min: 0.4 },
  meetingsP99: { baseline: '12 ms', maxMs: 10 },
  bigRss: { baseline: 'not measured', maxMB: 200 },
  bigDrain: { baseline: 'not measured', min: 0.9 },
};

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const round = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
const pct = (share) => (typeof share === 'number' ? `${round(share * 100, 2)} %` : 'n/a');
const fmt = (n) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));

// ~300-byte event data, the same for every system.
const sampleData = (seq) => ({
  messageId: `msg_${String(seq).padStart(8, '0')}`,
  roomId: 'room_benchmark_0042',
  author: { id: 'usr_0001', name: 'Bench User' },
  text: 'Hello from the Hookbridge benchmark: a typical short chat message body.',
  seq,
});
const publishBody = (seq) => JSON.stringify({ type: 'message.created', data: sampleData(seq) });

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    loadavg: os.loadavg().map((l) => round(l)),
    date: new Date().toISOString(),
  };
}

// ————————————————————————————————————————— shared state of one run

const RUN = {
  dist: undefined,
  receiver: undefined,
  pg: undefined, // { url, adminUrl } when reachable
  pgSkip: undefined, // why PostgreSQL rows are skipped
  schemas: new Set(), // PostgreSQL schemas to drop at the end
  scratch: [], // directories to remove at the end
  adminToken: `hba_bench_${randomBytes(16).toString('hex')}`,
  secretKey: randomBytes(32).toString('hex'),
};

function scratchDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hookbridge-bench-${tag}-`));
  RUN.scratch.push(dir);
  return dir;
}
const removeDir = (dir) => fs.rmSync(dir, { recursive: true, force: true });

/** A fresh PostgreSQL schema for one case: its Hookbridge URL and the schema name. */
function pgSchema(tag) {
  const schema = `bench_${tag}_${randomBytes(4).toString('hex')}`;
  RUN.schemas.add(schema);
  const u = new URL(RUN.pg.url);
  u.searchParams.set('schema', schema);
  return { url: u.toString(), schema };
}

async function pgQuery(text) {
  const c = new pg.Client({ connectionString: RUN.pg.adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    return await c.query(text);
  } finally {
    await c.end().catch(() => {});
  }
}
async function dropSchema(schema) {
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  RUN.schemas.delete(schema);
}

async function probePostgres() {
  if (!CFG.databases.includes('postgres')) return { skip: 'BENCH_DATABASES leaves PostgreSQL out' };
  const raw = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? process.env.DATABASE_URL : PG_DEFAULT;
  const admin = new URL(raw);
  admin.searchParams.delete('schema');
  const c = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const v = await c.query('show server_version');
    return { url: admin.toString(), adminUrl: admin.toString(), version: v.rows[0].server_version };
  } catch (err) {
    return { skip: `PostgreSQL at ${admin.host}${admin.pathname} unreachable (${err.message})` };
  } finally {
    await c.end().catch(() => {});
  }
}

// ————————————————————————————————————————— systems under test

function hbOptions(tag, databaseUrl, cwd) {
  return {
    cli: RUN.dist.cli,
    databaseUrl,
    adminToken: RUN.adminToken,
    secretKey: RUN.secretKey,
    cwd,
    logLevel: CFG.logLevel,
    cpuProfDir: CFG.cpuProfDir && path.join(CFG.cpuProfDir, tag),
    cpuProfIntervalUs: CFG.cpuProfIntervalUs,
    nodeArgs: CFG.nodeArgs,
  };
}

/** A keep-alive client of Hookbridge's API with the admin token. */
function apiClient(url, connections = 4) {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const call = async (method, p, body) => {
    const res = await pool.request({
      path: p,
      method,
      headers: { authorization: `Bearer ${RUN.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.statusCode, body: parsed };
  };
  return { call, close: () => pool.close() };
}

async function createWebhook(url) {
  const api = apiClient(url);
  try {
    const r = await api.call('POST', '/v1/webhooks', { name: 'bench', url: `${RUN.receiver.origin}/hook`, events: ['message.created'] });
    if (r.status !== 201) throw new Error(`creating the webhook answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body.data.id;
  } finally {
    await api.close();
  }
}

/**
 * A system under test: `url` takes POST /v1/events, `pids` are its processes (for CPU),
 * `stop()` ends them and removes what it made.
 */
/** Runs `fn` against a freshly started system, and stops it whatever happens. */
async function withSystem(kind, tag, fn) {
  const sys = await startSystem(kind, tag);
  try {
    return await fn(sys);
  } finally {
    await sys.stop();
  }
}

async function startSystem(kind, tag = kind) {
  if (kind === 'relay') {
    const p = await startForked('relay.mjs', { RELAY_TARGET: RUN.receiver.origin, RELAY_CONNECTIONS: String(CFG.graphile.pool) });
    // No /metrics: it has no server-side histogram to read.
    return { url: p.origin, pids: [p.child.pid], metrics: false, stop: () => p.stop() };
  }
  if (kind === 'graphile') {
    const schema = `bench_graphile_${randomBytes(4).toString('hex')}`;
    RUN.schemas.add(schema);
    const p = await startForked('graphile.mjs', {
      GRAPHILE_DATABASE_URL: RUN.pg.url,
      GRAPHILE_SCHEMA: schema,
      GRAPHILE_TARGET: RUN.receiver.origin,
      GRAPHILE_CONCURRENCY: String(CFG.graphile.concurrency),
      GRAPHILE_POOL: String(CFG.graphile.pool),
    });
    return {
      url: p.origin,
      pids: [p.child.pid],
      postgres: true,
      stop: async () => {
        await p.stop(15_000);
        await dropSchema(schema);
      },
    };
  }
  // Hookbridge: 'sqlite' | 'postgres' (role all), or { workers: n } on PostgreSQL.
  const cwd = scratchDir(tag);
  let databaseUrl;
  let schema;
  if (kind === 'sqlite') databaseUrl = `sqlite:${path.join(cwd, 'bench.db')}`;
  else ({ url: databaseUrl, schema } = pgSchema(tag.replace(/[^a-z0-9]/g, '')));
  const procs = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop(20_000)));
    if (schema) await dropSchema(schema);
    removeDir(cwd);
  };
  try {
    const workers = typeof kind === 'object' ? kind.workers : 0;
    const api = await startHookbridge({ ...hbOptions(tag, databaseUrl, cwd), role: workers ? 'api' : 'all', port: await freePort() });
    procs.push(api);
    const webhookId = await createWebhook(api.url);
    for (let i = 0; i < workers; i++) {
      procs.push(await startHookbridge({ ...hbOptions(`${tag}-w${i + 1}`, databaseUrl, cwd), role: 'worker', port: await freePort() }));
    }
    return { url: api.url, pids: procs.map((p) => p.child.pid), webhookId, databaseUrl, postgres: kind !== 'sqlite', stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

const cpuOf = (pids) => pids.reduce((s, pid) => s + (cpuSeconds(pid) ?? NaN), 0);

// ————————————————————————————————————————— measurements

/** The receiver's ceiling on this box: keep-alive POSTs from an undici Pool (context for every figure). */
async function rawLimit() {
  const receiver = RUN.receiver;
  await receiver.reset();
  const pool = new Pool(receiver.origin, { connections: CFG.rawConcurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ id: 'x', type: 'message.created', createdAt: new Date().toISOString(), data: sampleData(1) });
  let seq = 0;
  const send = async () => {
    const res = await pool.request({
      path: '/raw',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hookbridge-delivery': `dlv_raw_${seq}` },
      body: body.replace('"id":"x"', `"id":"raw_${seq++}"`),
    });
    await res.body.dump();
    return res.statusCode === 200;
  };
  try {
    await closedLoop({ concurrency: CFG.rawConcurrency, count: 1e7, timeMs: 1000, send });
    const r = await closedLoop({ concurrency: CFG.rawConcurrency, count: 1e7, timeMs: CFG.rawSeconds * 1000, send });
    return { perSecond: Math.round(r.perSecond), ok: r.ok, failed: r.failed, seconds: CFG.rawSeconds, concurrency: CFG.rawConcurrency };
  } finally {
    await pool.close();
  }
}

/**
 * Closed loop: CFG.publishers keep-alive publishers POST /v1/events back to back for
 * warm-up + window; the figure is the receiver's first receipts inside the window per
 * second. Then the backlog is given up to CFG.drainSeconds to arrive, and every
 * accepted id is looked up at the receiver.
 */
async function closedThroughput(sys, label) {
  const receiver = RUN.receiver;
  await receiver.reset();
  const pool = new Pool(sys.url, { connections: CFG.publishers, pipelining: 1, keepAliveTimeout: 30_000 });
  const accepted = new Set();
  const acceptedAt = [];
  const latency = [];
  let failed = 0;
  let firstError;
  let seq = 0;
  const t0 = now();
  const from = t0 + CFG.warmupSeconds * 1000;
  const to = from + CFG.seconds * 1000;
  // CPU of the system's processes, and of the whole rig (this load generator and the
  // receiver too; not the PostgreSQL server, whose other clients this bench cannot tell
  // apart). For a system on PostgreSQL, the server's CPU and WAL are read beside it (the
  // whole server's: only meaningful when nothing else uses it, as on a bench machine).
  const cpuSnap = () => ({
    sys: cpuOf(sys.pids),
    receiver: cpuSeconds(receiver.child.pid) ?? NaN,
    bench: process.cpuUsage(),
    pg: sys.postgres ? { cpu: postgresServerCpu(), wal: walStats() } : undefined,
  });
  let cpuFrom;
  let cpuTo;
  const tA = setTimeout(() => (cpuFrom = cpuSnap()), from - now());
  const tB = setTimeout(() => (cpuTo = cpuSnap()), to - now());
  const publisher = async () => {
    while (now() < to) {
      const i = seq++;
      const s = now();
      try {
        const res = await pool.request({
          path: '/v1/events',
          method: 'POST',
          headers: { authorization: `Bearer ${RUN.adminToken}`, 'content-type': 'application/json' },
          body: publishBody(i),
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        const text = await res.body.text();
        const e = now();
        if (res.statusCode !== 202) throw new Error(`publish answered ${res.statusCode}: ${text.slice(0, 200)}`);
        accepted.add(JSON.parse(text).data.id);
        acceptedAt.push(e);
        if (s >= from && e < to) latency.push(e - s);
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: CFG.publishers }, publisher));
  clearTimeout(tA);
  clearTimeout(tB);
  cpuFrom ??= cpuSnap();
  cpuTo ??= cpuSnap();
  await pool.close();
  const win = await receiver.window(from, to);
  const acceptedInWindow = acceptedAt.filter((t) => t >= from && t < to).length;
  const receivedBeforeEnd = (await receiver.window(0, to)).unique;
  const acceptedBeforeEnd = acceptedAt.filter((t) => t < to).length;
  // Backlog: wait for every accepted event (bounded), then check each id.
  const drainStart = now();
  let st = await receiver.stats();
  while (st.unique < accepted.size && now() - drainStart < CFG.drainSeconds * 1000) {
    await sleep(200);
    st = await receiver.stats();
  }
  const drainMs = now() - drainStart;
  const times = await receiver.times();
  let missing = 0;
  for (const id of accepted) if (!(id in times)) missing++;
  const cpu = cpuTo.sys - cpuFrom.sys;
  const benchCpu = (cpuTo.bench.user + cpuTo.bench.system - cpuFrom.bench.user - cpuFrom.bench.system) / 1e6;
  const rigCpu = cpu + (cpuTo.receiver - cpuFrom.receiver) + benchCpu;
  const r = {
    label,
    publishers: CFG.publishers,
    warmupSeconds: CFG.warmupSeconds,
    seconds: CFG.seconds,
    receivedPerSecond: Math.round(win.unique / CFG.seconds),
    acceptedPerSecond: Math.round(acceptedInWindow / CFG.seconds),
    backlogAtWindowEnd: acceptedBeforeEnd - receivedBeforeEnd,
    publishLatencyMs: summarize(latency),
    accepted: accepted.size,
    publishFailures: failed,
    firstPublishError: firstError,
    received: st.unique,
    missing,
    duplicates: st.duplicates,
    drainedWithinCap: missing === 0,
    drainWaitMs: Math.round(drainMs),
    systemCpuSeconds: round(cpu),
    systemCpuUsPerEvent: Number.isFinite(cpu) && win.unique ? Math.round((cpu / win.unique) * 1e6) : null,
    rigCpuSeconds: round(rigCpu),
    rigCpuUsPerEvent: Number.isFinite(rigCpu) && win.unique ? Math.round((rigCpu / win.unique) * 1e6) : null,
    receiverRequests: st.requests,
    postgresServer: cpuFrom.pg && cpuTo.pg ? await serverShare(cpuFrom.pg, cpuTo.pg, win.unique) : undefined,
  };
  log(
    `${label}: ${fmt(r.receivedPerSecond)} ev/s received (${fmt(r.acceptedPerSecond)}/s accepted), publish p99 ${r.publishLatencyMs.p99} ms; ` +
      `${r.accepted} accepted, ${r.missing} missing after ${(drainMs / 1000).toFixed(1)} s, ${r.duplicates} duplicates, ${failed} publish failures`,
  );
  return r;
}

/** The PostgreSQL server's WAL counters (`pg_stat_wal`), or undefined if they cannot be read. */
function walStats() {
  return pgQuery('select wal_records, wal_fpi, wal_bytes, wal_write, wal_sync from pg_stat_wal').then(
    (r) => Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)])),
    () => undefined,
  );
}

/**
 * What the PostgreSQL server did for a throughput window's events: its CPU (every postgres
 * process on this machine) and the WAL written, per event received, and its WAL flushes.
 */
async function serverShare(from, to, events) {
  const [w0, w1] = await Promise.all([from.wal, to.wal]);
  const per = (x) => (Number.isFinite(x) && events ? x / events : null);
  const cpu = to.cpu && from.cpu ? postgresCpuBetween(from.cpu, to.cpu) : NaN;
  return {
    cpuSeconds: Number.isFinite(cpu) ? round(cpu) : null,
    cpuUsPerEvent: per(cpu) === null ? null : Math.round(per(cpu) * 1e6),
    walBytesPerEvent: w0 && w1 ? Math.round(per(w1.wal_bytes - w0.wal_bytes)) : null,
    walRecordsPerEvent: w0 && w1 ? round(per(w1.wal_records - w0.wal_records)) : null,
    walFullPagesPerEvent: w0 && w1 ? round(per(w1.wal_fpi - w0.wal_fpi)) : null,
    walSyncsPerSecond: w0 && w1 ? Math.round((w1.wal_sync - w0.wal_sync) / CFG.seconds) : null,
  };
}

/**
 * Hookbridge's own histogram of `POST /v1/events` (Fastify's time from reading the request
 * to writing the answer), cumulative counts per bucket bound in seconds.
 */
async function publishHistogram(api) {
  const r = await api.call('GET', '/metrics');
  const out = {};
  for (const m of String(r.body).matchAll(/^hookbridge_http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    if (!m[1].includes('method="POST"') || !m[1].includes('route="/v1/events"')) continue;
    out[/le="([^"]+)"/.exec(m[1])[1]] = Number(m[2]);
  }
  return out;
}

/** The server-side view of a run: how many publishes took more than each bound, and the bound p99 lies within. */
function serverSide(before, after) {
  const bounds = Object.keys(after).filter((le) => le !== '+Inf').sort((x, y) => Number(x) - Number(y));
  const total = (after['+Inf'] ?? 0) - (before['+Inf'] ?? 0);
  if (!total) return undefined;
  const over = {};
  let p99WithinMs;
  for (const le of bounds) {
    const n = (after[le] ?? 0) - (before[le] ?? 0);
    over[`${Number(le) * 1000} ms`] = round((total - n) / total, 4);
    if (p99WithinMs === undefined && n / total >= 0.99) p99WithinMs = Number(le) * 1000;
  }
  return { publishes: total, p99WithinMs: p99WithinMs ?? null, shareOver: over };
}

/** Open loop at CFG.rate ev/s on a fresh instance: publish accept latency and publish → received. */
async function acceptLatency(sys, label) {
  const receiver = RUN.receiver;
  await receiver.reset();
  const api = apiClient(sys.url, 64);
  try {
    const warmup = CFG.rate * CFG.acceptWarmupSeconds;
    const total = warmup + CFG.rate * CFG.rateSeconds;
    const sentAt = new Map();
    const accept = [];
    /** The warm-up's own accept times: a server's first seconds, reported beside the figure. */
    const startup = [];
    let errors = 0;
    let firstError;
    // The server's own histogram over the measured part (read as the warm-up ends, and
    // after): tells a tail the server made from one the machine added around it.
    let histBefore;
    const loop = await openLoop({
      rate: CFG.rate,
      count: total,
      timeMs: (CFG.acceptWarmupSeconds + CFG.rateSeconds) * 1000 + 5000,
      settleMs: 15_000,
      fire: async (i) => {
        if (i === warmup && sys.metrics !== false)
          histBefore = publishHistogram(api).catch((err) => {
            log(`${label}: could not read /metrics, no server-side row (${err})`);
            return undefined;
          });
        const t0 = now();
        try {
          const r = await api.call('POST', '/v1/events', { type: 'message.created', data: sampleData(i) });
          const t1 = now();
          if (r.status !== 202) throw new Error(`publish answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
          if (i >= warmup) {
            accept.push(t1 - t0);
            sentAt.set(r.body.data.id, t0);
          } else startup.push(t1 - t0);
        } catch (err) {
          errors++;
          firstError ??= String(err);
        }
      },
    });
    const before = await histBefore;
    const after =
      before &&
      (await publishHistogram(api).catch((err) => {
        log(`${label}: could not read /metrics after the run, no server-side row (${err})`);
        return undefined;
      }));
    const server = after && serverSide(before, after);
    const deadline = now() + 15_000;
    let st = await receiver.stats();
    while (st.unique < loop.fired - errors && now() < deadline) {
      await sleep(100);
      st = await receiver.stats();
    }
    const times = await receiver.times();
    const e2e = [];
    let notReceived = 0;
    for (const [id, t0] of sentAt) {
      if (id in times) e2e.push(times[id] - t0);
      else notReceived++;
    }
    const r = {
      label,
      rate: CFG.rate,
      seconds: CFG.rateSeconds,
      warmupSeconds: CFG.acceptWarmupSeconds,
      fired: loop.fired,
      stillPending: loop.stillPending,
      errors,
      firstError,
      scheduleLagMs: loop.scheduleLagMs,
      acceptMs: summarize(accept),
      startupAcceptMs: summarize(startup),
      serverSide: server,
      endToEndMs: summarize(e2e),
      notReceived,
      duplicates: st.duplicates,
    };
    log(`${label}: accept p50 ${r.acceptMs.p50} ms p99 ${r.acceptMs.p99} ms (warm-up p99 ${r.startupAcceptMs.p99} ms); publish→received p99 ${r.endToEndMs.p99} ms; ${errors} errors, ${notReceived} not received`);
    return r;
  } finally {
    await api.close();
  }
}

/** Numbers the meeting clicks of the whole run: a warm-up's users are not clicked again. */
let clicks = 0;

/** autocannon at CFG.meetingsConnections against `url`, every request its own channel and user. */
async function cannon(origin, path_, seconds) {
  // (autocannon's idReplacement sends a wrong Content-Length with this hyperid: bodies are built here.)
  const latencies = [];
  const inst = autocannon({
    url: origin,
    connections: CFG.meetingsConnections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: path_,
        headers: { 'content-type': 'application/json' },
        setupRequest(req) {
          const i = `${process.pid.toString(36)}x${(clicks++).toString(36)}`;
          req.body = `{"channel_id":"ch${i}","channel_name":"Town Square","channel_type":"O","user_id":"u${i}","username":"bench.user"}`;
          return req;
        },
      },
    ],
  });
  // autocannon's own histogram has 1 ms resolution: keep every 2xx response time as well.
  inst.on('response', (_client, statusCode, _bytes, ms) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const r = await inst;
  const ok = r['2xx'];
  return {
    seconds: r.duration,
    requests: r.requests.total,
    ok,
    okPerSecond: Math.round(ok / r.duration),
    averagePerSecond: r.requests.average,
    non2xx: r.non2xx,
    statusCodes: r.statusCodeStats,
    errors: r.errors,
    timeouts: r.timeouts,
    latencyMs: summarize(latencies),
    autocannonLatencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
  };
}

const MEETINGS_PATH = '/webhook/kontur-create';

/** 2 s of warm-up, then CFG.meetingsSeconds of autocannon against a started server, with its CPU per answered request. */
async function cannonWithCpu(origin, pid) {
  await cannon(origin, MEETINGS_PATH, 2);
  const cpu0 = cpuSeconds(pid);
  const out = await cannon(origin, MEETINGS_PATH, CFG.meetingsSeconds);
  out.cpuSeconds = round(cpuSeconds(pid) - cpu0);
  out.cpuUsPerRequest = out.ok ? Math.round((out.cpuSeconds / out.ok) * 1e6) : null;
  return out;
}

async function meetingsBare() {
  const bare = await startForked('bare.mjs', {}, 'bare Fastify');
  try {
    const out = await cannonWithCpu(bare.origin, bare.child.pid);
    log(`meetings: bare Fastify ${fmt(out.okPerSecond)} req/s, p99 ${out.latencyMs.p99} ms`);
    return out;
  } finally {
    await bare.stop();
  }
}

async function meetingsHookbridge() {
  const cwd = scratchDir('meetings');
  // Every request is a new user, so the per-user limit never answers 429; set it as high as
  // the configuration allows all the same.
  const hb = await startHookbridge({
    ...hbOptions('meetings', `sqlite:${path.join(cwd, 'bench.db')}`, cwd),
    role: 'all',
    port: await freePort(),
    env: { MEETINGS_PROVIDER: 'mock', MEETINGS_RATE_LIMIT: '10000' },
  });
  try {
    const out = await cannonWithCpu(hb.url, hb.child.pid);
    log(`meetings: Hookbridge ${fmt(out.okPerSecond)} req/s (${out.non2xx} non-2xx), p99 ${out.latencyMs.p99} ms`);
    return out;
  } finally {
    await hb.stop();
    removeDir(cwd);
  }
}

/** `runs` fresh runs of `fn`: the one with the median drain rate, with every run's rate beside it. */
async function medianRun(runs, fn) {
  const all = [];
  for (let i = 0; i < Math.max(1, runs); i++) all.push(await fn());
  const median = medianBy(all, (r) => r.perSecond);
  // Peak memory: the worst run's, not the median's.
  const worst = all.reduce((a, b) => (b.vmHwmMiB > a.vmHwmMiB ? b : a));
  return { ...median, runs: all.map((r) => r.perSecond), peakMB: worst.peakMB, vmHwmMiB: worst.vmHwmMiB, peakRuns: all.map((r) => r.peakMB) };
}

/** Forks bench/backlog.mjs to clone the template publish `count` times into `file`. */
function runBacklogLoader(job) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(ROOT, 'bench', 'backlog.mjs'), [], { env: { ...process.env, BACKLOG_JOB: JSON.stringify(job) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer;
    child.on('message', (m) => (answer = m));
    child.on('exit', (code) => {
      if (answer?.ok) resolve(answer.result);
      else reject(new Error(answer?.error ?? `backlog loader exited with ${code}`));
    });
  });
}

const fileMiB = (file) => {
  let bytes = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) bytes += fs.statSync(f).size;
  return round(bytes / 2 ** 20, 1);
};

/**
 * `count` pending deliveries written straight into a fresh SQLite file, then Hookbridge
 * (role all) started on it: its peak RSS, and the delivery rate at the receiver and
 * Hookbridge's CPU per delivery over the first CFG.drainWindowSeconds (see below).
 */
async function backlog(count) {
  const receiver = RUN.receiver;
  const cwd = scratchDir(`backlog${count}`);
  const file = path.join(cwd, 'bench.db');
  const opts = hbOptions(`backlog-${count}`, `sqlite:${file}`, cwd);
  const port = await freePort();
  try {
    // Migrations, the default project and the webhook, by Hookbridge itself; then one real
    // publish (role api: nothing is delivered) whose rows are the template.
    let hb = await startHookbridge({ ...opts, role: 'api', port });
    try {
      await createWebhook(hb.url);
      const before = tableRows(file);
      const api = apiClient(hb.url);
      const r = await api.call('POST', '/v1/events', { type: 'message.created', data: sampleData(0) });
      await api.close();
      if (r.status !== 202) throw new Error(`template publish answered ${r.status}: ${JSON.stringify(r.body)}`);
      await hb.stop();
      log(`backlog ${fmt(count)}: writing the rows`);
      const load = await runBacklogLoader({ file, count, before });
      load.databaseMiB = fileMiB(file);
      log(`backlog ${fmt(count)}: written in ${load.insertSeconds} s (+ checkpoint: ${load.totalSeconds} s), ${load.databaseMiB} MiB; starting Hookbridge (role all)`);

      await receiver.reset();
      const spawned = now();
      hb = await startHookbridge({ ...opts, role: 'all', port });
      const healthyMs = now() - spawned;
      const mem = sampleMemory(hb.child.pid, 100);
      let st = await receiver.stats();
      const firstDeadline = now() + 60_000;
      while (st.unique === 0 && now() < firstDeadline) {
        await sleep(50);
        st = await receiver.stats();
      }
      if (st.unique === 0) throw new Error('no delivery within 60 s of start');
      const first = st.first;
      const windowEnd = first + CFG.drainWindowSeconds * 1000;
      // CPU samples along the drain, so CPU per delivery covers the same span as the rate.
      const samples = [{ t: now(), cpu: cpuSeconds(hb.child.pid) }];
      while (now() < windowEnd && st.unique < count) {
        await sleep(200);
        st = await receiver.stats();
        samples.push({ t: now(), cpu: cpuSeconds(hb.child.pid) });
      }
      const m = mem.stop();
      st = await receiver.stats();
      // The rate in steady state, the same way for both sizes: from 1 s after the first
      // delivery (connections, JIT and the first claims warm up) to the window's end — or,
      // when the whole backlog arrived sooner (a small one), to its 90th-percentile
      // delivery, leaving out the tail where the queue runs dry and batches shrink.
      const drainedAll = st.unique >= count && st.last <= windowEnd;
      let end = windowEnd;
      if (drainedAll) {
        const times = Object.values(await receiver.times()).sort((x, y) => x - y);
        end = times[Math.floor(times.length * 0.9) - 1] ?? st.last;
      }
      let start = first + DRAIN_SKIP_MS;
      if (end - start < 1000) start = first; // through in about a second: take it all
      const win = await receiver.window(start, end + 0.001);
      const perSecond = end > start ? (win.unique / (end - start)) * 1000 : NaN;
      const near = (t) => samples.reduce((best, x) => (Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best));
      const [c0, c1] = [near(start), near(end)];
      const cpu = c1.cpu - c0.cpu;
      const deliveredForCpu = c1.t > c0.t ? (await receiver.window(c0.t, c1.t)).unique : 0;
      const out = {
        count,
        load,
        healthyMs: Math.round(healthyMs),
        firstDeliveryMs: Math.round(first - spawned),
        windowSeconds: CFG.drainWindowSeconds,
        deliveredInWindow: win.unique,
        deliveredBeforeWindowEnd: (await receiver.window(0, windowEnd)).unique,
        drainedAll,
        rateFromMs: Math.round(start - first),
        rateToMs: Math.round(end - first),
        perSecond: Math.round(perSecond),
        duplicates: st.duplicates,
        cpuSecondsInRateSpan: round(cpu),
        cpuUsPerDelivery: deliveredForCpu > 0 && Number.isFinite(cpu) ? Math.round((cpu / deliveredForCpu) * 1e6) : null,
        ...m,
        peakMB: round((m.vmHwmMiB * 2 ** 20) / 1e6, 1),
      };
      log(`backlog ${fmt(count)}: ${fmt(out.perSecond)} deliveries/s (${out.rateFromMs}–${out.rateToMs} ms after the first), peak RSS ${out.vmHwmMiB} MiB, first delivery ${out.firstDeliveryMs} ms after spawn`);
      return out;
    } finally {
      await hb.stop(15_000);
    }
  } finally {
    removeDir(cwd);
  }
}

// ————————————————————————————————————————— the table

function buildTable(R) {
  const rows = [];
  const row = (figure, value, baseline, target, result) => rows.push({ figure, value, baseline: baseline ?? '—', target: target ?? '—', result: result ?? 'info' });
  const pf = (ok) => (ok === true ? 'PASS' : 'MISS');
  const le = (v, max) => typeof v === 'number' && Number.isFinite(v) && v <= max;
  const ge = (v, min) => typeof v === 'number' && Number.isFinite(v) && v >= min;
  const skipped = (why) => `SKIP: ${why}`;
  const err = (e) => `ERROR: ${String(e).split('\n')[0].slice(0, 80)}`;
  const T = R.throughput ?? {};
  const tp = (k) => T[k]?.receivedPerSecond;
  /** "x / y / z" when a figure had more than one round, else ''. */
  const list = (values, unit = '') => (values?.length > 1 ? values.map((x) => (x == null ? 'n/a' : `${round(x)}${unit}`)).join(' / ') : '');
  const roundsOf = (values, unit, lead = '; rounds ') => (list(values, unit) ? `${lead}${list(values, unit)}` : '');
  /** Round by round ratios of two systems' `rounds`. */
  const byRound = (a, b) => a?.rounds && b?.rounds ? a.rounds.map((x, i) => (b.rounds[i] > 0 ? x / b.rounds[i] : null)) : undefined;
  /** A count summed over every round (the run's own when it had one round). */
  const total = (r, key) => (r.roundSummaries ? r.roundSummaries.reduce((n, x) => n + (x[key] ?? 0), 0) : (r[key] ?? 0));
  const ratioRow = (figure, ka, kb, spec, why) => {
    if (why) return row(figure, '—', spec.baseline, `≥ ${spec.min}`, why);
    const [a, b] = [tp(ka), tp(kb)];
    const v = b > 0 ? a / b : NaN;
    row(figure, `${round(v) ?? 'n/a'} (${fmt(a)} vs ${fmt(b)} ev/s${roundsOf(byRound(T[ka], T[kb]))})`, spec.baseline, `≥ ${spec.min}`, pf(ge(v, spec.min)));
  };
  const thWhy = (...ks) => {
    for (const k of ks) {
      if (T[k]?.skip) return skipped(T[k].skip);
      if (T[k]?.error) return err(`${k}: ${T[k].error}`);
      if (!T[k]) return skipped('not run');
    }
    return undefined;
  };
  // Issue 11's rows.
  // Each ratio: of the two systems' median runs, with the ratio of each round beside it.
  ratioRow('SQLite pipeline / relay', 'sqlite', 'relay', ISSUE.sqliteRelay, thWhy('sqlite', 'relay'));
  ratioRow('PostgreSQL pipeline / relay', 'postgres', 'relay', ISSUE.pgRelay, thWhy('postgres', 'relay'));
  ratioRow('PostgreSQL pipeline / graphile-worker pipeline', 'postgres', 'graphile', ISSUE.pgGraphile, thWhy('postgres', 'graphile'));
  // The same ratios from CPU per event of the whole rig (load generator + system + receiver):
  // what the ratio would be on an otherwise idle machine where CPU is the bound — steadier
  // than rates taken a minute apart on a shared one. PostgreSQL's server CPU is not in it.
  /** `cost(k)`: a system's CPU per event (by default the rig's: the server not counted). */
  const rigCost = (k) => T[k]?.rigCpuUsPerEvent;
  const cpuRatio = (figure, a, b, cost = rigCost) => {
    const [x, y] = [cost(a), cost(b)];
    if (x && y) row(figure, `${round(y / x)} (${fmt(x)} vs ${fmt(y)} µs of CPU per event)`, null, null);
  };
  cpuRatio('  by CPU per event: SQLite / relay', 'sqlite', 'relay');
  cpuRatio('  by CPU per event: PostgreSQL / relay (server CPU not counted)', 'postgres', 'relay');
  cpuRatio('  by CPU per event: PostgreSQL / graphile (server CPU not counted)', 'postgres', 'graphile');
  // The server's share, where it runs on this machine: CPU and WAL per event.
  const server = (k) => T[k]?.postgresServer;
  if (server('postgres')?.cpuUsPerEvent) {
    const pair = (f) => `${fmt(server('postgres')[f] ?? 'n/a')}${T.graphile ? ` / ${fmt(server('graphile')?.[f] ?? 'n/a')}` : ''}`;
    row(
      `  the PostgreSQL server per event${T.graphile ? ': Hookbridge / graphile' : ''}`,
      `${pair('cpuUsPerEvent')} µs of CPU; WAL ${pair('walBytesPerEvent')} bytes in ${pair('walRecordsPerEvent')} records; ${pair('walSyncsPerSecond')} WAL flushes/s`,
      null,
      null,
    );
    // A system without a server of its own (the relay) counts its rig alone.
    const withServer = (k) => (server(k) ? rigCost(k) && server(k).cpuUsPerEvent && rigCost(k) + server(k).cpuUsPerEvent : rigCost(k));
    cpuRatio('  by CPU per event: PostgreSQL with its server / relay', 'postgres', 'relay', withServer);
  }
  const A = R.accept ?? {};
  for (const [k, name, spec] of [['sqlite', 'SQLite', ISSUE.acceptSqlite], ['postgres', 'PostgreSQL', ISSUE.acceptPg]]) {
    const figure = `publish accept p99 at ${CFG.rate} ev/s, ${name}`;
    const a = A[k];
    if (!a || a.skip || a.error) row(figure, '—', spec.baseline, `≤ ${spec.maxMs} ms`, a?.error ? err(a.error) : skipped(a?.skip ?? 'not run'));
    else {
      const clean = total(a, 'errors') + total(a, 'stillPending') === 0;
      row(figure, `${a.acceptMs.p99} ms${clean ? '' : ` (${total(a, 'errors') + total(a, 'stillPending')} failed over the rounds)`}${roundsOf(a.rounds, ' ms', ' (rounds ')}${list(a.rounds) ? ')' : ''}`, spec.baseline, `≤ ${spec.maxMs} ms`, pf(clean && le(a.acceptMs.p99, spec.maxMs)));
    }
  }
  const AR = A.relay;
  if (AR && !AR.skip && !AR.error) {
    const clean = total(AR, 'errors') + total(AR, 'stillPending') === 0;
    row(`  the relay at ${CFG.rate} ev/s (this machine's floor, same client)`, `p99 ${AR.acceptMs.p99} ms, p90 ${AR.acceptMs.p90} ms${clean ? '' : ` (${total(AR, 'errors') + total(AR, 'stillPending')} failed over the rounds)`}${roundsOf(AR.rounds, ' ms', '; p99 by round ')}`, null, null);
  }
  // The warm-up, not counted above: what a client sees in a freshly started process's first seconds.
  const warm = [['sqlite', 'SQLite'], ['postgres', 'PostgreSQL'], ['relay', 'the relay']]
    .filter(([k]) => A[k] && !A[k].skip && !A[k].error && A[k].startupAcceptMs)
    .map(([k, name]) => `${name} ${medianBy((A[k].roundSummaries ?? []).map((x) => x.startupP99Ms).filter((x) => x != null)) ?? A[k].startupAcceptMs.p99} ms`);
  if (warm.length) row(`  accept p99 in the first ${CFG.acceptWarmupSeconds} s after start (warm-up, not counted; median of rounds)`, warm.join(', '), null, null);
  const M = R.meetings;
  if (!M || M.skip || M.error) {
    const why = M?.error ? err(M.error) : skipped(M?.skip ?? 'not run');
    row('meetings webhook / bare Fastify, autocannon c10', '—', ISSUE.meetingsRatio.baseline, `≥ ${ISSUE.meetingsRatio.min}`, why);
    row('meetings webhook p99', '—', ISSUE.meetingsP99.baseline, `≤ ${ISSUE.meetingsP99.maxMs} ms`, why);
  } else {
    const clean = total(M.hookbridge, 'non2xx') === 0 && total(M.hookbridge, 'errors') === 0;
    row(
      'meetings webhook / bare Fastify, autocannon c10',
      `${M.ratio} (${fmt(M.hookbridge.okPerSecond)} vs ${fmt(M.bare.okPerSecond)} req/s${roundsOf(M.roundRatios)})${clean ? '' : ` (${total(M.hookbridge, 'non2xx')} non-2xx, ${total(M.hookbridge, 'errors')} errors over the rounds)`}`,
      ISSUE.meetingsRatio.baseline,
      `≥ ${ISSUE.meetingsRatio.min}`,
      pf(clean && ge(M.ratio, ISSUE.meetingsRatio.min)),
    );
    // Judged on the median of the rounds' p99s (the median-rate run's own p99 need not be it).
    const p99s = M.hookbridge.roundSummaries?.map((x) => x.p99Ms) ?? [M.hookbridge.latencyMs.p99];
    const p99 = medianBy(p99s);
    row('meetings webhook p99', `${round(p99)} ms${roundsOf(p99s, ' ms', ' (rounds ')}${list(p99s) ? ')' : ''}`, ISSUE.meetingsP99.baseline, `≤ ${ISSUE.meetingsP99.maxMs} ms`, pf(le(p99, ISSUE.meetingsP99.maxMs)));
    row('meetings: CPU per request, Hookbridge / bare', `${M.hookbridge.cpuUsPerRequest ?? 'n/a'} / ${M.bare.cpuUsPerRequest ?? 'n/a'} µs (bare p99 ${round(M.bare.latencyMs.p99)} ms)`, null, null);
  }
  const B = R.backlog ?? {};
  const bigName = `${fmt(CFG.big)} pending deliveries`;
  if (!B.big || B.big.error || B.small?.error) {
    const why = B.big?.error ? err(B.big.error) : B.small?.error ? err(`small: ${B.small.error}`) : skipped('not run');
    row(`${bigName}: peak RSS`, '—', ISSUE.bigRss.baseline, `≤ ${ISSUE.bigRss.maxMB} MB`, why);
    row(`${bigName}: drain rate vs ${fmt(CFG.small)}`, '—', ISSUE.bigDrain.baseline, `≥ ${ISSUE.bigDrain.min}×`, why);
  } else {
    const peaks = B.big.peakRuns?.length > 1 ? `; worst of ${B.big.peakRuns.join(' / ')} MB` : '';
    row(`${bigName}: peak RSS`, `${B.big.peakMB} MB (${B.big.vmHwmMiB} MiB${peaks})`, ISSUE.bigRss.baseline, `≤ ${ISSUE.bigRss.maxMB} MB`, pf(le(B.big.peakMB, ISSUE.bigRss.maxMB)));
    const v = B.small.perSecond > 0 ? B.big.perSecond / B.small.perSecond : NaN;
    const medianOf = (r) => (r.runs?.length > 1 ? `, median of ${r.runs.map(fmt).join(' / ')}` : '');
    row(`${bigName}: drain rate vs ${fmt(CFG.small)}`, `${round(v) ?? 'n/a'}× (${fmt(B.big.perSecond)}/s${medianOf(B.big)} vs ${fmt(B.small.perSecond)}/s${medianOf(B.small)})`, ISSUE.bigDrain.baseline, `≥ ${ISSUE.bigDrain.min}×`, pf(ge(v, ISSUE.bigDrain.min)));
  }
  // Issue 12: scale-out.
  const W = R.workers ?? {};
  for (const n of CFG.workers) {
    const w = W[n];
    const figure = `PostgreSQL, 1 api + ${n} worker process${n > 1 ? 'es' : ''}, ev/s`;
    if (!w || w.skip || w.error) row(figure, '—', null, null, w?.error ? err(w.error) : skipped(w?.skip ?? 'not run'));
    else row(figure, `${fmt(w.receivedPerSecond)}${W[CFG.workers[0]]?.receivedPerSecond && n !== CFG.workers[0] ? ` (${round(w.receivedPerSecond / W[CFG.workers[0]].receivedPerSecond)}× ${CFG.workers[0]})` : ''}`, null, null);
  }
  // Context: the figures behind the ratios, and whether each system delivered what it accepted.
  const names = { relay: 'relay (no storage)', graphile: 'graphile-worker pipeline', sqlite: 'Hookbridge SQLite', postgres: 'Hookbridge PostgreSQL' };
  for (const [k, name] of Object.entries(names)) {
    const t = T[k];
    if (!t || t.skip || t.error) continue;
    row(`${name}: received / accepted ev/s`, `${fmt(t.receivedPerSecond)} / ${fmt(t.acceptedPerSecond)} (CPU ${t.systemCpuUsPerEvent ?? 'n/a'} µs/ev; rig ${t.rigCpuUsPerEvent ?? 'n/a'})`, null, null);
    const [acc, miss, dup, fail] = ['accepted', 'missing', 'duplicates', 'publishFailures'].map((key) => total(t, key));
    const over = t.roundSummaries?.length > 1 ? ` (all ${t.roundSummaries.length} rounds)` : '';
    row(`${name}: every accepted event received once${over}`, `${acc - miss}/${acc}, ${dup} dup, ${fail} failed`, null, 'all, 0, 0', pf(miss === 0 && dup === 0 && fail === 0));
  }
  for (const n of CFG.workers) {
    const t = W[n];
    if (!t || t.skip || t.error) continue;
    row(`PostgreSQL ${n} worker${n > 1 ? 's' : ''}: every accepted event received once`, `${t.accepted - t.missing}/${t.accepted}, ${t.duplicates} dup, ${t.publishFailures} failed`, null, 'all, 0, 0', pf(t.missing === 0 && t.duplicates === 0 && t.publishFailures === 0));
  }
  for (const [k, name] of [['sqlite', 'SQLite'], ['postgres', 'PostgreSQL']]) {
    const a = A[k];
    if (!a || a.skip || a.error) continue;
    row(`publish → received p99 at ${CFG.rate} ev/s, ${name}`, `${a.endToEndMs.p99} ms (accept p50 ${a.acceptMs.p50} ms; ${a.notReceived} not received)`, null, null);
    // The load generator's own lateness: when it is large, the machine, not the system, set the tail.
    row(`open-loop scheduler lag p99, ${name} run`, `${a.scheduleLagMs.p99} ms`, null, null);
    if (a.serverSide) {
      const o = a.serverSide.shareOver;
      row(`  server-side publish time (Fastify), ${name}`, `p99 ≤ ${a.serverSide.p99WithinMs} ms; over 2.5 ms ${pct(o['2.5 ms'])}, over 5 ms ${pct(o['5 ms'])}, over 10 ms ${pct(o['10 ms'])}`, null, null);
    }
  }
  for (const [k, n] of [['small', CFG.small], ['big', CFG.big]]) {
    const b = B[k];
    if (b && !b.error && !b.skip) row(`${fmt(n)} backlog: drain rate, peak RSS, CPU per delivery`, `${fmt(b.perSecond)}/s, ${b.vmHwmMiB} MiB, ${b.cpuUsPerDelivery ?? 'n/a'} µs`, null, null);
  }
  if (B.big && !B.big.error) {
    row(`${bigName}: written in`, `${B.big.load.insertSeconds} s (${B.big.load.databaseMiB} MiB file)`, null, '< 60 s', pf(B.big.load.insertSeconds < 60));
    row(`${bigName}: first delivery after spawn`, `${B.big.firstDeliveryMs} ms (${B.small?.firstDeliveryMs ?? 'n/a'} ms for ${fmt(CFG.small)})`, null, null);
  }
  if (R.raw && !R.raw.error) row('receiver ceiling (undici, 50 connections, no system between)', `${fmt(R.raw.perSecond)} req/s`, null, null);
  return rows;
}

function printTable(title, rows) {
  const cols = ['figure', 'value', 'baseline', 'target', 'result'];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
  console.log();
}

// ————————————————————————————————————————— the run

/**
 * Before each measurement: the PostgreSQL server shares the two cores, and the section
 * before may have left it flushing dirty buffers or vacuuming the tables it just filled
 * (seen as a doubled accept p99 in full runs against runs of that section alone). A
 * checkpoint, then up to 20 s for autovacuum workers to finish; noted in the result.
 */
async function settlePostgres() {
  if (!RUN.pg?.adminUrl) return undefined;
  const t0 = now();
  try {
    await pgQuery('CHECKPOINT');
    for (;;) {
      const r = await pgQuery("select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker'");
      if (r.rows[0].n === 0 || now() - t0 > 20_000) return { waitedMs: Math.round(now() - t0), autovacuumWorkers: r.rows[0].n };
      await sleep(250);
    }
  } catch (err) {
    return { error: String(err.message ?? err) };
  }
}

/** Runs `fn` and stores its result, or its error, under R[key]; `skip` says why not run. */
async function section(R, key, fn) {
  try {
    const settled = await settlePostgres();
    R[key] = await fn();
    if (settled && R[key] && typeof R[key] === 'object') R[key].postgresSettled = settled;
  } catch (err) {
    R[key] = { error: String(err?.stack ?? err) };
    console.error(`bench: ${key} failed:`, err);
  }
}

/** What every round keeps of its run, beside the median run: whether it was clean, and its tail. */
const roundSummary = (r) => ({
  accepted: r.accepted,
  missing: r.missing,
  duplicates: r.duplicates,
  publishFailures: r.publishFailures,
  errors: r.errors,
  stillPending: r.stillPending,
  non2xx: r.non2xx,
  p99Ms: r.acceptMs?.p99 ?? r.latencyMs?.p99 ?? r.publishLatencyMs?.p99,
  startupP99Ms: r.startupAcceptMs?.p99,
});

/**
 * Runs each of `cases` ([key, fn]) CFG.rounds times, interleaved and rotated (see the
 * header), each run through `section`. `into[key]` becomes the median run by `value`,
 * with `rounds`: every run's value in round order, and `roundSummaries`: each run's
 * counts (missing, duplicates, failures) and p99, so that no round's fault is lost.
 * A run that failed is reported instead.
 */
async function interleaved(into, cases, value) {
  const runs = Object.fromEntries(cases.map(([k]) => [k, []]));
  for (let r = 0; r < Math.max(1, CFG.rounds); r++) {
    for (let i = 0; i < cases.length; i++) {
      const [k, fn] = cases[(i + r) % cases.length];
      const one = {};
      await section(one, k, fn);
      runs[k].push(one[k]);
    }
  }
  for (const [k, list] of Object.entries(runs)) {
    const failed = list.findIndex((run) => !run || run.error);
    if (failed >= 0) {
      into[k] = list[failed] ?? { error: `round ${failed + 1} gave no result` };
      continue;
    }
    into[k] = { ...medianBy(list, (run) => value(run) ?? Infinity), rounds: list.map(value), roundSummaries: list.map(roundSummary) };
  }
}

async function main() {
  const started = now();
  const host = machine();
  const watchdog = setTimeout(() => {
    console.error(`bench: over its time cap (${CFG.capSeconds} s); stopping`);
    void killAll(1000).finally(() => process.exit(3));
  }, CFG.capSeconds * 1000);
  watchdog.unref();
  fs.mkdirSync(CFG.resultsDir, { recursive: true });
  RUN.dist = snapshotDist();
  process.on('exit', RUN.dist.remove);
  const on = (s) => CFG.sections.includes(s);
  const sqliteOn = CFG.databases.includes('sqlite');
  const pgInfo = await probePostgres();
  if (pgInfo.skip) {
    RUN.pgSkip = pgInfo.skip;
    console.log(`bench: PostgreSQL rows skipped: ${pgInfo.skip}`);
  } else {
    RUN.pg = pgInfo;
    // Earlier runs' schemas, made and dropped, leave dead catalog rows that nothing else removes here.
    console.log(`bench: ${await vacuumCatalogs(RUN.pg.adminUrl)}`);
  }
  const pgOn = !!RUN.pg;
  const noSqlite = 'BENCH_DATABASES leaves SQLite out';
  const R = { sections: {} };
  RUN.receiver = await startReceiver();
  const timed = async (name, fn) => {
    const t = now();
    await fn();
    R.sections[name] = round((now() - t) / 1000, 1);
  };
  try {
    if (on('raw')) {
      await timed('raw', () =>
        section(R, 'raw', async () => {
          log(`raw: receiver ceiling, ${CFG.rawSeconds} s at ${CFG.rawConcurrency} connections`);
          const r = await rawLimit();
          log(`raw: ${fmt(r.perSecond)} req/s`);
          return r;
        }),
      );
    }
    if (on('throughput')) {
      await timed('throughput', async () => {
        R.throughput = {};
        const cases = [
          ['relay', true, undefined],
          ['graphile', pgOn, RUN.pgSkip],
          ['sqlite', sqliteOn, noSqlite],
          ['postgres', pgOn, RUN.pgSkip],
        ];
        for (const [k, enabled, why] of cases) if (!enabled) R.throughput[k] = { skip: why };
        const run = (k) => () => {
          log(`throughput: ${k}, ${CFG.publishers} publishers, ${CFG.warmupSeconds} s warm-up + ${CFG.seconds} s`);
          return withSystem(k, `throughput-${k}`, (sys) => closedThroughput(sys, `throughput ${k}`));
        };
        await interleaved(R.throughput, cases.filter(([, enabled]) => enabled).map(([k]) => [k, run(k)]), (r) => r.receivedPerSecond);
      });
    }
    if (on('workers')) {
      await timed('workers', async () => {
        R.workers = {};
        for (const n of CFG.workers) {
          if (!pgOn) {
            R.workers[n] = { skip: RUN.pgSkip };
            continue;
          }
          log(`workers: PostgreSQL, 1 api + ${n} worker process(es)`);
          await section(R.workers, n, () =>
            withSystem({ workers: n }, `workers${n}`, async (sys) => ({ processes: { api: 1, workers: n }, ...(await closedThroughput(sys, `workers ${n}`)) })),
          );
        }
      });
    }
    if (on('accept')) {
      await timed('accept', async () => {
        R.accept = {};
        // The relay too: the same open loop through the same client against a server that
        // stores nothing — what this machine adds to any publish's tail, measured in this run.
        const cases = [['relay', true], ['sqlite', sqliteOn, noSqlite], ['postgres', pgOn, RUN.pgSkip]];
        for (const [k, enabled, why] of cases) if (!enabled) R.accept[k] = { skip: why };
        const run = (k) => () => {
          log(`accept: ${k}, open loop ${CFG.rate} ev/s, ${CFG.acceptWarmupSeconds} s warm-up + ${CFG.rateSeconds} s`);
          return withSystem(k, `accept-${k}`, (sys) => acceptLatency(sys, `accept ${k}`));
        };
        await interleaved(R.accept, cases.filter(([, enabled]) => enabled).map(([k]) => [k, run(k)]), (r) => r.acceptMs.p99);
      });
    }
    if (on('meetings')) {
      await timed('meetings', async () => {
        if (!sqliteOn) return void (R.meetings = { skip: noSqlite });
        const M = {};
        await interleaved(M, [['bare', meetingsBare], ['hookbridge', meetingsHookbridge]], (r) => r.okPerSecond);
        const failed = M.bare.error ?? M.hookbridge.error;
        if (failed) return void (R.meetings = { error: failed });
        const ratio = (h, b) => (b > 0 ? round(h / b, 3) : null);
        R.meetings = {
          ...M,
          database: 'sqlite',
          ratio: ratio(M.hookbridge.okPerSecond, M.bare.okPerSecond),
          roundRatios: M.hookbridge.rounds.map((h, i) => ratio(h, M.bare.rounds[i])),
        };
        log(`meetings: ratio ${R.meetings.ratio} (round by round ${R.meetings.roundRatios.join(' / ')})`);
      });
    }
    if (on('backlog')) {
      await timed('backlog', async () => {
        R.backlog = {};
        if (!sqliteOn) {
          R.backlog.small = R.backlog.big = { skip: noSqlite };
          return;
        }
        // The small backlog drains in a second or two, so one run's rate is mostly noise:
        // the median of several fresh runs is the baseline.
        await section(R.backlog, 'small', () => medianRun(CFG.smallRuns, () => backlog(CFG.small)));
        await section(R.backlog, 'big', () => medianRun(CFG.bigRuns, () => backlog(CFG.big)));
      });
    }
  } finally {
    await killAll();
    for (const s of [...RUN.schemas]) await dropSchema(s).catch((err) => console.error(`bench: dropping schema ${s} failed:`, err.message));
    for (const d of RUN.scratch) removeDir(d);
  }

  const rows = buildTable(R);
  const durationSeconds = Math.round((now() - started) / 1000);
  const result = {
    machine: { ...host, loadavgEnd: machine().loadavg, postgres: RUN.pg?.version ?? null },
    config: CFG,
    issue: ISSUE,
    postgresSkipped: RUN.pgSkip ?? null,
    durationSeconds,
    ...R,
    table: rows,
  };
  const file = path.join(CFG.resultsDir, `${new Date().toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  printTable(
    `Hookbridge bench (issues 11 and 12) — ${host.cpus} × ${host.model}, Node ${host.node}, load ${host.loadavg.join(' ')} → ${result.machine.loadavgEnd.join(' ')}`,
    rows,
  );
  log(`wrote ${path.relative(ROOT, file)} (${durationSeconds} s; sections: ${Object.entries(R.sections).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
  return rows.some((r) => r.result.startsWith('ERROR')) ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`bench: ${sig}; stopping children`);
    void killAll(1000).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error('bench failed:', err);
    await killAll(1000);
    process.exit(1);
  },
);
