/**
 * Child processes of the benchmark: the receiver, the baselines and Hookbridge itself. Every child is
 * registered so that `killAll` (and the `exit` hook) can end it however the run ends.
 */
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..');

/**
 * A private copy of dist/ for this run: other builds in the same working copy would
 * otherwise swap modules under a starting child. It lives under node_modules/ (ignored
 * by git) so the copy still resolves the project's packages. Returns its cli.js path.
 */
export function snapshotDist() {
  const dir = path.join(ROOT, 'node_modules', '.cache', 'hookbridge-bench', String(process.pid));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return { cli: path.join(dir, 'dist', 'cli.js'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once every child has exited. */
export async function killAll(graceMs = 3000) {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(alive.map((c) => stopChild(c, graceMs)));
}
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Sends SIGTERM and waits for the exit, up to `graceMs`; then SIGKILL. Returns the exit code/signal. */
export async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const res = await exited;
  clearTimeout(t);
  return res;
}

/** User + system CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
export function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of each PostgreSQL server process on this machine (command name `postgres`:
 * the postmaster, its background processes and every client's backend), by pid, or
 * undefined when none runs here. `postgresCpuBetween` turns two readings into seconds used.
 */
export function postgresServerCpu() {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let comm;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const s = cpuSeconds(pid);
    if (s !== undefined) out.set(pid, s);
  }
  return out.size ? out : undefined;
}

/**
 * CPU the server's processes used between two readings: each process's growth (a process
 * started meanwhile counts whole); a process that ended meanwhile takes its share with it.
 */
export function postgresCpuBetween(from, to) {
  let sum = 0;
  for (const [pid, s] of to) sum += s - (from.get(pid) ?? 0);
  return sum;
}

export async function freePort() {
  // Below the kernel's ephemeral range (32768–60999 by default on Linux): a port from listen(0) is in it,
  // and one of the run's own outgoing connections (its pools, the database's) could take it
  // before the child listens on it.
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 20000–31999 on 127.0.0.1');
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Forks `script` (a bench/*.mjs child that sends {type:'ready', port} over IPC once it
 * listens) with `env` added to ours; resolves with the child and its origin.
 */
export async function startForked(script, env = {}, what = path.basename(script, '.mjs'), timeoutMs = 60_000) {
  const child = track(fork(path.join(here, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } }));
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(t);
      resolve(m.port);
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited with ${code} during start-up`));
    });
  });
  return { child, origin: `http://127.0.0.1:${port}`, stop: (graceMs = 10_000) => stopChild(child, graceMs) };
}

export async function startReceiver() {
  const { child, origin } = await startForked('receiver.mjs', {}, 'receiver', 10_000);
  const call = async (method, p) => {
    const res = await request(origin + p, { method, headersTimeout: 30_000, bodyTimeout: 30_000 });
    return res.body.json();
  };
  return {
    child,
    origin,
    stats: () => call('GET', '/__stats'),
    times: () => call('GET', '/__times'),
    /** Ids first received in [from, to) (times on the parent's `now()` clock). */
    window: (from, to) => call('GET', `/__window?from=${from}&to=${to}`),
    reset: () => call('POST', '/__reset'),
  };
}

/** Resident set of a process now and its peak so far (VmRSS, VmHWM from /proc), in MiB. */
export function memoryMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/**
 * Samples a process's RSS every `everyMs` (and reads the kernel's own high-water mark,
 * VmHWM, which catches peaks between samples). `stop()` returns the figures in MiB.
 */
export function sampleMemory(pid, everyMs = 100) {
  let peakRss = 0;
  let hwm = 0;
  const samples = [];
  const started = Date.now();
  const take = () => {
    const m = memoryMiB(pid);
    if (Number.isFinite(m.rss)) {
      peakRss = Math.max(peakRss, m.rss);
      hwm = Math.max(hwm, m.hwm);
      samples.push([Date.now() - started, Math.round(m.rss * 10) / 10]);
    }
  };
  take();
  const t = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(t);
      take();
      // Every 10th sample is plenty for the JSON.
      return { peakRssMiB: round1(peakRss), vmHwmMiB: round1(hwm), samplesMs: samples.filter((_, i) => i % 10 === 0) };
    },
  };
}
const round1 = (v) => Math.round(v * 10) / 10;

/** The environment a Hookbridge child gets: ours, minus any Hookbridge settings of the caller. */
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(HOOKBRIDGE_|MEETINGS_|KTALK_|PORT$|HOST$|DATABASE_URL$|DATABASE_POOL_SIZE$|LOG_LEVEL$|REDIS_URL$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * `node <cli> serve` (a dist/cli.js) with the given role; resolves once GET /health answers.
 * `cwd` is a scratch directory, so a developer's `.env` in the repo is not picked up.
 */
export async function startHookbridge({ cli, role, databaseUrl, port, adminToken, secretKey, cwd, logLevel, cpuProfDir, cpuProfIntervalUs, nodeArgs = [], env: extraEnv = {} }) {
  const args = [...nodeArgs];
  if (cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  if (cpuProfDir && cpuProfIntervalUs) args.push(`--cpu-prof-interval=${cpuProfIntervalUs}`);
  args.push(cli, 'serve');
  const env = childEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    HOOKBRIDGE_ADMIN_TOKEN: adminToken,
    HOOKBRIDGE_SECRET_KEY: secretKey,
    HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKBRIDGE_ROLE: role,
    LOG_LEVEL: logLevel,
    ...extraEnv,
  });
  const child = track(spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const tail = [];
  const keep = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout.on('data', keep);
  if (process.env.BENCH_CHILD_LOG) child.stdout.on('data', (c) => fs.appendFileSync(process.env.BENCH_CHILD_LOG, c));
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`hookbridge (${role}) exited during start-up:\n${tail.join('\n')}`);
    }
    try {
      const res = await request(`${url}/health`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`hookbridge (${role}) did not answer /health within 30 s:\n${tail.join('\n')}`);
    await sleep(100);
  }
  return { child, url, tail, stop: (graceMs = 20_000) => stopChild(child, graceMs) };
}
