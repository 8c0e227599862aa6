/**
 * Hookbridge as a separate process: a real `node dist/cli.js serve` (dist/ is built once
 * per run by global-setup.ts) on a fixed loopback port, so a test can `kill -9` it and
 * start another on the same database. Used by the process-level crash tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, SECRET_KEY, type TestDb } from './server.js';
import type { Pool } from 'undici';
import { sleep, until } from './wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface ChildServer {
  proc: ChildProcess;
  /** stdout and stderr as they came. */
  output: string[];
  /** The exit code; null when killed by a signal. */
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  port: number;
  db: TestDb;
  /** Scratch dir: the child's cwd (so a developer's .env in the repo cannot leak in) and HOOKBRIDGE_DATA_DIR. */
  dataDir: string;
  /** Added to (and overriding) the base environment. */
  env?: Record<string, string>;
  /** `node` (default): `node dist/cli.js serve`; `npm`: `npm start` in the repository, as a newcomer runs it. */
  via?: 'node' | 'npm';
}

/** Every child spawned in this test file, its database and scratch dir, for `killChildren` in afterAll. */
const children: Array<ChildServer & { db: TestDb; dataDir: string }> = [];

export function spawnServer({ port, db, dataDir, env = {}, via = 'node' }: SpawnOptions): ChildServer {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: the global setup builds it`);
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    HOOKBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKBRIDGE_SECRET_KEY: SECRET_KEY,
    HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKBRIDGE_DATA_DIR: dataDir,
    HOOKBRIDGE_ROLE: 'all',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const proc =
    via === 'npm'
      ? spawn('npm', ['--prefix', ROOT, 'start'], { cwd: dataDir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [CLI, 'serve'], { cwd: dataDir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const child = { proc, output, exited };
  children.push({ ...child, db, dataDir });
  return child;
}

/** Polls `${baseUrl}/ready` until it answers 200; fails at once (with its output) if the child exits. */
export async function waitReady(child: ChildServer, baseUrl: string, timeoutMs = 20_000): Promise<void> {
  await until(
    'the server to answer /ready',
    timeoutMs,
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`server exited with ${child.proc.exitCode}:\n${child.output.join('')}`);
      try {
        const r = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2000) });
        const text = await r.text();
        // Hookbridge's own answer, not whatever else got the port between freePort() and the
        // child's listen (another test's receiver once did, and answered 200 "OK"): then the
        // child exits on EADDRINUSE and the check above says so.
        return r.status === 200 && /"status":"ready"/.test(text);
      } catch {
        return false;
      }
    },
    100,
  );
}

/** `kill -9` and wait for the process to be gone. */
export async function killHard(child: ChildServer): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

/** afterAll: SIGKILL every child still running, wait (bounded) for them to go, then drop their databases and scratch dirs. */
export async function killChildren(): Promise<void> {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.race([Promise.all(children.map((c) => c.exited)), sleep(5000)]);
  const dbs = new Set(children.map((c) => c.db));
  // Only scratch dirs under the system's temp dir: never a directory a test did not make for the child.
  const dirs = new Set(children.map((c) => path.resolve(c.dataDir)).filter((d) => d.startsWith(path.resolve(os.tmpdir()) + path.sep)));
  children.length = 0;
  // (Each PostgreSQL schema left behind stays in the catalogs of the shared test database.)
  for (const db of dbs) await db.drop().catch(() => {});
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

/** The admin API of a child server through a keep-alive undici Pool: `{status, body}` with the JSON parsed. */
export async function adminRequest(
  client: Pool,
  method: 'GET' | 'POST' | 'PUT',
  p: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<{ status: number; body: any }> {
  const r = await client.request({
    path: p,
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await r.body.text();
  return { status: r.statusCode, body: text ? JSON.parse(text) : undefined };
}

/**
 * afterAll of a process-level test: children killed, then its client, receiver, database and scratch dir gone
 * (killChildren already removed those of the children it spawned; these cover a rig whose server never started).
 */
export async function tearDownRig(rig: { client?: Pool; rcv?: { close(): Promise<void> }; db?: TestDb; dataDir?: string }): Promise<void> {
  await killChildren();
  await rig.client?.close().catch(() => {});
  await rig.rcv?.close();
  await rig.db?.drop().catch(() => {});
  if (rig.dataDir) fs.rmSync(rig.dataDir, { recursive: true, force: true });
}
