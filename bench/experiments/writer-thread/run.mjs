/**
 * Would a SQLite writer on its own thread make a meetings click cheaper? Four servers
 * answer the same `POST /webhook/kontur-create` under the meetings section's load
 * (autocannon, 10 connections, every click a new user; 2 s warm-up, then 10 s):
 *   bare       bench/bare.mjs: the answer alone, no storage
 *   main       server.mjs with the writer on the event loop (Hookbridge's design)
 *   thread     server.mjs with the writer in a worker thread
 *   hookbridge the built server (npm run build), meetings app, mock provider, fresh SQLite
 * Prints one JSON line per run: ok responses per second, p99, the server's CPU per click.
 *
 *   npm run build && node bench/experiments/writer-thread/run.mjs   (bare,main,thread,hookbridge twice, rotated)
 *   MODES=main,thread node bench/experiments/writer-thread/run.mjs   (no build needed without hookbridge)
 *
 * Every run starts on a fresh database file, removed after it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cpuSeconds, freePort, killAll, snapshotDist, startForked, startHookbridge } from '../../procs.mjs';

const modes = (process.env.MODES || 'bare,main,thread,hookbridge,hookbridge,thread,main,bare').split(',');
const dist = modes.includes('hookbridge') ? snapshotDist() : undefined;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-writer-thread-'));
const cleanUp = () => {
  dist?.remove();
  fs.rmSync(scratch, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void killAll(1000).finally(() => (cleanUp(), process.exit(130))));
let clicks = 0;
let runs = 0;

/** A fresh directory for one run's database, removed after the run. */
const runDir = () => {
  const dir = path.join(scratch, `run${++runs}`);
  fs.mkdirSync(dir);
  return dir;
};

async function start(mode, dir) {
  if (mode === 'bare') return startForked('bare.mjs', {}, 'bare Fastify');
  if (mode === 'main' || mode === 'thread') return startForked('experiments/writer-thread/server.mjs', { MODE: mode, FILE: path.join(dir, 'click.db') }, mode);
  if (mode !== 'hookbridge') throw new Error(`unknown mode ${mode}`);
  const cwd = dir;
  const hb = await startHookbridge({
    cli: dist.cli,
    role: 'all',
    databaseUrl: `sqlite:${path.join(cwd, 'bench.db')}`,
    port: await freePort(),
    adminToken: `hba_bench_${randomBytes(16).toString('hex')}`,
    secretKey: randomBytes(32).toString('hex'),
    cwd,
    logLevel: 'warn',
    env: { MEETINGS_PROVIDER: 'mock', MEETINGS_RATE_LIMIT: '10000' },
  });
  return { child: hb.child, origin: hb.url, stop: hb.stop };
}

const load = (origin, seconds) =>
  autocannon({
    url: origin,
    connections: 10,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/webhook/kontur-create',
        headers: { 'content-type': 'application/json' },
        setupRequest(req) {
          const i = `${process.pid.toString(36)}x${(clicks++).toString(36)}`;
          req.body = `{"channel_id":"ch${i}","channel_name":"Town Square","channel_type":"O","user_id":"u${i}","username":"bench.user"}`;
          return req;
        },
      },
    ],
  });

try {
  for (const mode of modes) {
    const dir = runDir();
    const server = await start(mode, dir);
    try {
      await load(server.origin, 2);
      const cpu0 = cpuSeconds(server.child.pid);
      const r = await load(server.origin, 10);
      const cpu = cpuSeconds(server.child.pid) - cpu0;
      const ok = r['2xx'];
      const failed = { non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
      console.log(JSON.stringify({ mode, okPerSecond: Math.round(ok / r.duration), ...failed, p99Ms: r.latency.p99, cpuUsPerClick: ok ? Math.round((cpu / ok) * 1e6) : null }));
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await killAll();
  cleanUp();
}
