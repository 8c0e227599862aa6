/**
 * `npm run bench`: delivery throughput and latency of Hookbridge against a local receiver.
 *
 *   (a) raw limit: undici Pool keep-alive POSTs straight to the receiver → req/s
 *   (b) backlog drain: N events published with role=api, then role=all drains them → req/s, (b)/(a)
 *   (c) publish accept latency at a fixed open-loop rate, webhook active and delivering
 *   (d) publish → received latency at that rate (receiver clock, keyed by envelope id)
 *
 * Always on a fresh SQLite file; also on PostgreSQL when DATABASE_URL is postgres://…
 * (in a fresh schema, dropped afterwards). Results: bench/results/<ISO>-<db>.json.
 *
 * Knobs (env): BENCH_EVENTS (20000), BENCH_RATE (500), BENCH_SECONDS (10),
 * BENCH_RAW_SECONDS (5), BENCH_LOG_LEVEL (warn), BENCH_CPU_PROF=<dir> (profile the
 * Hookbridge children with --cpu-prof), BENCH_DATABASES=sqlite,postgres (subset).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import pg from 'pg';
import { ROOT, cpuSeconds, freePort, killAll, snapshotDist, startHookbridge, startReceiver } from './procs.mjs';
import { closedLoop, now, openLoop, sleep, summarize } from './load.mjs';

const int = (name, d) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : d;
};
const CFG = {
  events: int('BENCH_EVENTS', 20_000),
  rate: int('BENCH_RATE', 500),
  seconds: int('BENCH_SECONDS', 10),
  warmupSeconds: 2,
  rawSeconds: int('BENCH_RAW_SECONDS', 5),
  rawConcurrency: 50,
  publishConcurrency: 32,
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  cpuProfDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
};
const TARGETS = { ratio: 0.6, acceptP99Ms: 5, e2eP99Ms: 50 };
/** Hard cap on one database's run; the whole bench is killed past it. */
const PER_DB_CAP_MS = 210_000;

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ~300-byte envelope data, the same shape for raw and Hookbridge runs.
const sampleData = (seq) => ({
  messageId: `msg_${String(seq).padStart(8, '0')}`,
  roomId: 'room_benchmark_0042',
  author: { id: 'usr_0001', name: 'Bench User' },
  text: 'Hello from the Hookbridge benchmark: a typical short chat message body.',
  seq,
});
const rawEnvelope = (seq) =>
  JSON.stringify({ id: `evt_raw_${String(seq).padStart(18, '0')}`, type: 'message.created', createdAt: new Date().toISOString(), data: sampleData(seq) });
// Header set like Hookbridge's (§4.1), so the raw limit pays the same parsing.
const rawHeaders = (seq) => ({
  'content-type': 'application/json',
  'user-agent': 'Hookbridge-Webhooks/1.0',
  'x-hookbridge-event': 'message.created',
  'x-hookbridge-delivery': `dlv_raw_${String(seq).padStart(18, '0')}`,
  'x-hookbridge-timestamp': String(Math.floor(Date.now() / 1000)),
  'x-hookbridge-signature': `sha256=${'0'.repeat(64)}`,
});

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** (a) The receiver's ceiling on this box: keep-alive POSTs from an undici Pool. */
async function rawLimit(receiver) {
  await receiver.reset();
  const pool = new Pool(receiver.origin, { connections: CFG.rawConcurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const send = async (i) => {
    const res = await pool.request({ path: '/raw', method: 'POST', headers: rawHeaders(i), body: rawEnvelope(i) });
    await res.body.dump();
    return res.statusCode === 200;
  };
  try {
    await closedLoop({ concurrency: CFG.rawConcurrency, count: 200_000, timeMs: 1000, send }); // warm-up
    const recvCpu0 = cpuSeconds(receiver.child.pid);
    const r = await closedLoop({ concurrency: CFG.rawConcurrency, count: 2_000_000, timeMs: CFG.rawSeconds * 1000, send: (i) => send(1e9 + i) });
    const recvCpu = cpuSeconds(receiver.child.pid) - recvCpu0;
    return { ...r, perSecond: Math.round(r.perSecond), bodyBytes: Buffer.byteLength(rawEnvelope(1)), receiverCpuSeconds: round(recvCpu) };
  } finally {
    await pool.close();
  }
}

function apiClient(url, token, connections) {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const call = async (method, p, body) => {
    const res = await pool.request({
      path: p,
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };
  return { pool, call, close: () => pool.close() };
}

/** Polls the receiver until `done(stats)` or `timeMs`; returns the last stats. */
async function waitReceived(receiver, done, timeMs, everyMs = 200) {
  const deadline = now() + timeMs;
  let st = await receiver.stats();
  while (!done(st) && now() < deadline) {
    await sleep(everyMs);
    st = await receiver.stats();
  }
  return st;
}

async function runDatabase(kind, databaseUrl, receiver, raw, cli) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-bench-'));
  const common = {
    cli,
    databaseUrl,
    adminToken: `hba_bench_${randomBytes(16).toString('hex')}`,
    secretKey: randomBytes(32).toString('hex'),
    cwd: scratch,
    logLevel: CFG.logLevel,
    cpuProfDir: CFG.cpuProfDir && path.join(CFG.cpuProfDir, kind),
  };
  const out = { database: kind };
  let hb;
  try {
    // (b) part 1: the backlog, published with no worker running.
    const port = await freePort();
    log(`${kind}: starting hookbridge (role=api)`);
    hb = await startHookbridge({ ...common, role: 'api', port });
    let api = apiClient(hb.url, common.adminToken, CFG.publishConcurrency);
    const created = await api.call('POST', '/v1/webhooks', { name: 'bench', url: `${receiver.origin}/hook`, events: ['message.created'] });
    if (created.status !== 201) throw new Error(`creating the webhook answered ${created.status}: ${JSON.stringify(created.body)}`);
    const webhookId = created.body.data.id;
    const published = new Set();
    log(`${kind}: publishing ${CFG.events} events (concurrency ${CFG.publishConcurrency})`);
    const apiCpu0 = cpuSeconds(hb.child.pid);
    const pub = await closedLoop({
      concurrency: CFG.publishConcurrency,
      count: CFG.events,
      timeMs: 60_000,
      send: async (i) => {
        const r = await api.call('POST', '/v1/events', { type: 'message.created', data: sampleData(i) });
        if (r.status !== 202) throw new Error(`publish answered ${r.status}: ${JSON.stringify(r.body)}`);
        published.add(r.body.data.id);
        return true;
      },
    });
    const apiCpu = cpuSeconds(hb.child.pid) - apiCpu0;
    out.backlogPublish = {
      ...pub,
      perSecond: Math.round(pub.perSecond),
      hookbridgeCpuSeconds: round(apiCpu),
      hookbridgeCpuUsPerEvent: Number.isNaN(apiCpu) ? undefined : Math.round((apiCpu / pub.ok) * 1e6),
    };
    log(`${kind}: published ${pub.ok}/${CFG.events} in ${(pub.elapsedMs / 1000).toFixed(1)} s (${Math.round(pub.perSecond)}/s), ${pub.failed} failed`);
    await api.close();
    await hb.stop();

    // (b) part 2: a worker starts on the backlog; time it at the receiver.
    await receiver.reset();
    log(`${kind}: starting hookbridge (role=all) on the backlog`);
    const spawnedAt = now();
    hb = await startHookbridge({ ...common, role: 'all', port });
    const hbCpu0 = cpuSeconds(hb.child.pid);
    const recvCpu0 = cpuSeconds(receiver.child.pid);
    const expected = published.size;
    let st = await waitReceived(receiver, (s) => s.unique >= expected, 60_000);
    const hbCpu = cpuSeconds(hb.child.pid) - hbCpu0;
    const recvCpu = cpuSeconds(receiver.child.pid) - recvCpu0;
    const times = await receiver.times();
    const missing = [...published].filter((id) => !(id in times)).length;
    const span = st.last - st.first;
    const drainRate = st.unique > 1 ? ((st.unique - 1) / span) * 1000 : 0;
    api = apiClient(hb.url, common.adminToken, 64);
    // A request arrives before its result is committed: give the group commit a moment, then count in the database.
    let delivered;
    for (let i = 0; i < 50; i++) {
      const r = await api.call('GET', `/v1/deliveries?status=delivered&webhookId=${webhookId}&limit=1`);
      delivered = r.body?.pagination?.total;
      if (delivered >= expected || r.status !== 200) break;
      await sleep(100);
    }
    out.drain = {
      expected,
      received: st.unique,
      missing,
      duplicates: st.duplicates,
      requests: st.requests,
      perSecond: Math.round(drainRate),
      firstToLastMs: Math.round(span),
      spawnToLastMs: Math.round(st.last - spawnedAt),
      deliveredInDatabase: delivered,
      hookbridgeCpuSeconds: round(hbCpu),
      receiverCpuSeconds: round(recvCpu),
      // CPU per delivery is steadier than rates on a shared, noisy machine.
      hookbridgeCpuUsPerDelivery: Number.isNaN(hbCpu) ? undefined : Math.round((hbCpu / st.unique) * 1e6),
    };
    log(`${kind}: drained ${st.unique}/${expected} in ${(span / 1000).toFixed(2)} s → ${Math.round(drainRate)}/s (raw ${raw.perSecond}/s)`);

    // (c) + (d): open-loop publishing at a fixed rate while the worker delivers.
    await receiver.reset();
    const warmup = CFG.rate * CFG.warmupSeconds;
    const total = warmup + CFG.rate * CFG.seconds;
    const sentAt = new Map();
    const accept = [];
    let pubErrors = 0;
    let firstPubError;
    log(`${kind}: open loop ${CFG.rate} ev/s for ${CFG.warmupSeconds} s warm-up + ${CFG.seconds} s`);
    const hbCpu1 = cpuSeconds(hb.child.pid);
    const loop = await openLoop({
      rate: CFG.rate,
      count: total,
      timeMs: (CFG.warmupSeconds + CFG.seconds) * 1000 + 5000,
      settleMs: 15_000,
      fire: async (i) => {
        const t0 = now();
        try {
          const r = await api.call('POST', '/v1/events', { type: 'message.created', data: sampleData(i) });
          const t1 = now();
          if (r.status !== 202) throw new Error(`publish answered ${r.status}: ${JSON.stringify(r.body)}`);
          if (i >= warmup) {
            accept.push(t1 - t0);
            sentAt.set(r.body.data.id, t0);
          }
        } catch (err) {
          pubErrors++;
          firstPubError ??= String(err);
        }
      },
    });
    st = await waitReceived(receiver, (s) => s.unique >= loop.fired - pubErrors, 15_000, 100);
    const hbCpuLoop = cpuSeconds(hb.child.pid) - hbCpu1;
    const recvTimes = await receiver.times();
    const e2e = [];
    let notReceived = 0;
    for (const [id, t0] of sentAt) {
      if (id in recvTimes) e2e.push(recvTimes[id] - t0);
      else notReceived++;
    }
    out.publish = {
      rate: CFG.rate,
      seconds: CFG.seconds,
      warmupSeconds: CFG.warmupSeconds,
      fired: loop.fired,
      sentMs: Math.round(loop.sentMs),
      stillPending: loop.stillPending,
      errors: pubErrors,
      firstError: firstPubError,
      scheduleLagMs: loop.scheduleLagMs,
      acceptMs: summarize(accept),
      hookbridgeCpuSeconds: round(hbCpuLoop),
    };
    out.endToEnd = { measured: sentAt.size, notReceived, duplicates: st.duplicates, latencyMs: summarize(e2e) };
    log(`${kind}: accept p50 ${out.publish.acceptMs.p50} ms p99 ${out.publish.acceptMs.p99} ms; publish→received p50 ${out.endToEnd.latencyMs.p50} ms p99 ${out.endToEnd.latencyMs.p99} ms`);
    await api.close();
    await hb.stop();
    return out;
  } finally {
    await hb?.stop(5000);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const round = (v) => (v === undefined || Number.isNaN(v) ? undefined : Math.round(v * 100) / 100);

function table(kind, raw, r) {
  const rows = [];
  const row = (metric, value, target, pass) => rows.push({ metric, value, target, pass: pass === undefined ? 'info' : pass ? 'PASS' : 'FAIL' });
  const ratio = r.drain.perSecond / raw.perSecond;
  row('(a) raw receiver limit, req/s', raw.perSecond, '—');
  row('(b) backlog drain, deliveries/s', r.drain.perSecond, '—');
  row('(b)/(a) ratio', Math.round(ratio * 1000) / 1000, kind === 'sqlite' ? `≥ ${TARGETS.ratio}` : `≥ ${TARGETS.ratio} (SQLite only)`, kind === 'sqlite' ? ratio >= TARGETS.ratio : undefined);
  row('(b) backlog received', `${r.drain.received}/${r.drain.expected}`, 'all', r.drain.missing === 0 && r.drain.received === r.drain.expected);
  row('(b) duplicates at receiver', r.drain.duplicates, '0', r.drain.duplicates === 0);
  row('(b) hookbridge CPU per delivery, µs', r.drain.hookbridgeCpuUsPerDelivery ?? 'n/a', '—');
  row('backlog publish (role=api), ev/s', r.backlogPublish.perSecond, '—');
  row('backlog publish CPU per event, µs', r.backlogPublish.hookbridgeCpuUsPerEvent ?? 'n/a', '—');
  row(`(c) publish accept p50 @${CFG.rate}/s, ms`, r.publish.acceptMs.p50, '—');
  row(`(c) publish accept p99 @${CFG.rate}/s, ms`, r.publish.acceptMs.p99, `≤ ${TARGETS.acceptP99Ms}`, r.publish.acceptMs.p99 !== null && r.publish.acceptMs.p99 <= TARGETS.acceptP99Ms);
  row('(c) publish errors + unanswered', r.publish.errors + r.publish.stillPending, '0', r.publish.errors + r.publish.stillPending === 0);
  row(`(d) publish→received p50 @${CFG.rate}/s, ms`, r.endToEnd.latencyMs.p50, '—');
  row(`(d) publish→received p99 @${CFG.rate}/s, ms`, r.endToEnd.latencyMs.p99, `≤ ${TARGETS.e2eP99Ms}`, r.endToEnd.latencyMs.p99 !== null && r.endToEnd.latencyMs.p99 <= TARGETS.e2eP99Ms && r.endToEnd.notReceived === 0);
  row('(d) events received', `${r.endToEnd.measured - r.endToEnd.notReceived}/${r.endToEnd.measured}`, 'all', r.endToEnd.notReceived === 0);
  row('open-loop schedule lag p99, ms', r.publish.scheduleLagMs.p99, '—');
  return rows;
}

function printTable(title, rows) {
  const cols = ['metric', 'value', 'target', 'pass'];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
  console.log();
}

function postgresTarget() {
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) return undefined;
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  const admin = new URL(url);
  admin.searchParams.delete('schema');
  return { url: u.toString(), schema, adminUrl: admin.toString() };
}

async function dropSchema(adminUrl, schema) {
  const c = new pg.Client({ connectionString: adminUrl });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end().catch(() => {});
  }
}

async function main() {
  const only = process.env.BENCH_DATABASES?.split(',').map((s) => s.trim());
  const plan = [];
  if (!only || only.includes('sqlite')) plan.push({ kind: 'sqlite' });
  const pgt = postgresTarget();
  if (pgt && (!only || only.includes('postgres'))) plan.push({ kind: 'postgres', ...pgt });
  const watchdog = setTimeout(() => {
    console.error(`bench: over its time cap (${(plan.length * PER_DB_CAP_MS) / 1000} s); stopping`);
    void killAll(1000).finally(() => process.exit(3));
  }, plan.length * PER_DB_CAP_MS + 30_000);
  watchdog.unref();

  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const dist = snapshotDist();
  process.on('exit', dist.remove);
  let failedRuns = 0;
  for (const p of plan) {
    const started = now();
    const host = machine();
    const receiver = await startReceiver();
    let sqliteDir;
    try {
      log(`${p.kind}: (a) raw limit, ${CFG.rawSeconds} s at concurrency ${CFG.rawConcurrency}`);
      const raw = await rawLimit(receiver);
      log(`${p.kind}: raw ${raw.perSecond} req/s (${raw.bodyBytes}-byte body)`);
      let databaseUrl = p.url;
      if (p.kind === 'sqlite') {
        sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-bench-db-'));
        databaseUrl = `sqlite:${path.join(sqliteDir, 'bench.db')}`;
      }
      const r = await runDatabase(p.kind, databaseUrl, receiver, raw, dist.cli);
      const rows = table(p.kind, raw, r);
      const result = { machine: { ...host, loadavgEnd: machine().loadavg }, config: CFG, targets: TARGETS, raw, ...r, durationSeconds: Math.round((now() - started) / 1000), table: rows };
      const file = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/:/g, '-')}-${p.kind}.json`);
      fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
      printTable(`Hookbridge bench — ${p.kind} (${result.machine.cpus} × ${result.machine.model}, Node ${result.machine.node})`, rows);
      log(`${p.kind}: wrote ${path.relative(ROOT, file)} (${result.durationSeconds} s)`);
    } catch (err) {
      failedRuns++;
      console.error(`bench: ${p.kind} run failed:`, err);
    } finally {
      await killAll();
      if (sqliteDir) fs.rmSync(sqliteDir, { recursive: true, force: true });
      if (p.kind === 'postgres') await dropSchema(p.adminUrl, p.schema).catch((err) => console.error(`bench: dropping schema ${p.schema} failed:`, err));
    }
  }
  return failedRuns;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`bench: ${sig}; stopping children`);
    void killAll(1000).finally(() => process.exit(130));
  });
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  async (err) => {
    console.error('bench failed:', err);
    await killAll(1000);
    process.exit(1);
  },
);
