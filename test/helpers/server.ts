/**
 * Starts a real Hookbridge on loopback over a real database: a fresh SQLite file, or
 * (when DATABASE_URL is a postgres URL) a fresh schema in that database.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { BuiltinApp } from '../../src/apps/app.js';

/** Apps beyond the built-in ones that every test server of this process runs (e.g. the inbound `probe` action). */
export const testApps: BuiltinApp<any>[] = [];

export const ADMIN_TOKEN = 'hba_test_admin_token_0123456789';
export const SECRET_KEY = 'test-secret-key-0123456789abcdef';
export const PG_URL = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

export interface TestDb {
  url: string;
  /** SQLite file path (undefined on PostgreSQL). */
  file?: string;
  schema?: string;
  drop(): Promise<void>;
}

export function freshDatabase(): TestDb {
  const tag = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (PG_URL) {
    const u = new URL(PG_URL);
    u.searchParams.set('schema', tag);
    return {
      url: u.toString(),
      schema: tag,
      async drop() {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-test-'));
  const file = path.join(dir, 'hookbridge.db');
  return {
    url: `sqlite:${file}`,
    file,
    async drop() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs one statement on a connection of its own to the test's database, as another
 * process would: `$1`, `$2`… in order on both dialects.
 */
export async function sqlElsewhere(db: TestDb, text: string, params: unknown[] = []): Promise<void> {
  if (db.file) {
    const other = new SQLite(db.file);
    other.pragma('busy_timeout = 5000');
    try {
      other.prepare(text.replace(/\$\d+/g, '?')).run(...params);
    } finally {
      other.close();
    }
    return;
  }
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${db.schema}` });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface TestServer extends RunningServer {
  db: TestDb;
  env: Record<string, string>;
  /** Calls the API with the admin token unless `token` is given (null: no Authorization). */
  api(method: string, path: string, opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, db = freshDatabase()): Promise<TestServer> {
  const fullEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    HOOKBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKBRIDGE_SECRET_KEY: SECRET_KEY,
    HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKBRIDGE_DATA_DIR: db.file ? path.dirname(db.file) : os.tmpdir(),
    LOG_LEVEL: 'silent',
    ...env,
  };
  const config = loadConfig(fullEnv);
  const server = await startServer(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { apps: testApps });
  const api: TestServer['api'] = async (method, p, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + p, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    ...server,
    db,
    env: fullEnv,
    api,
    async stop() {
      await server.close();
      await db.drop();
    },
  };
}
