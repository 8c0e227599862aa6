/**
 * The built `hookbridge` command (SPEC §1, issue 2 items 2–4): configuration errors,
 * the admin token printed once, `token create`, `migrate`, and processes started at once
 * on one fresh database. Runs `node dist/cli.js` (built by the global setup).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { PG_URL, SECRET_KEY, freshDatabase, type TestDb } from '../helpers/server.js';
import { loadConfig } from '../../src/config.js';
import { ensureAdminToken, ensureDefaultProject, openRepos } from '../../src/bootstrap.js';
import { LATEST_MIGRATION } from '../../src/store/migrate.js';
import { freePort } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const ADMIN = 'hba_cli_test_admin_token_abcdef0123';
/** Each test starts several Node processes; on a busy 2-core machine that takes a while. */
const SLOW = { timeout: 120_000 };

/** A scratch working directory (so no stray `.env` is read) and every database made. */
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-cli-'));
const dbs: TestDb[] = [];
const children = new Set<ChildProcess>();

function db(): TestDb {
  const d = freshDatabase();
  dbs.push(d);
  return d;
}

/** A clean environment: nothing from the developer's shell leaks into the config. */
function envFor(d: TestDb | undefined, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'true',
    HOOKBRIDGE_ROLE: 'api',
  };
  if (d) env.DATABASE_URL = d.url;
  // PostgreSQL needs the shared key; on SQLite the key file is generated into the data dir.
  if (PG_URL) env.HOOKBRIDGE_SECRET_KEY = SECRET_KEY;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv, dir = cwd): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (err += b));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? 128 : null));
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a command to completion within `ms`. */
async function run(args: string[], env: NodeJS.ProcessEnv, ms = 20_000, dir = cwd) {
  const p = start(args, env, dir);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}


/** Polls `url` until it answers 200 (or the process dies, or `ms` pass). */
async function waitReady(p: Proc, base: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let dead = false;
  void p.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`process exited before answering\nstdout: ${p.stdout()}\nstderr: ${p.stderr()}`);
    try {
      const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no answer from ${base} within ${ms} ms\nstdout: ${p.stdout()}\nstderr: ${p.stderr()}`);
}

/** `serve` on a free port, ready to answer. */
async function serve(env: NodeJS.ProcessEnv): Promise<Proc & { base: string }> {
  const port = await freePort();
  const p = start(['serve', '--port', String(port)], env);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(p, base);
  return { ...p, base };
}

/** SIGTERM, then the exit code (SIGKILL after 10 s). */
async function stop(p: Proc): Promise<number | null> {
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

async function call(base: string, token: string, method = 'GET', urlPath = '/v1/project', body?: unknown) {
  const res = await fetch(base + urlPath, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

/** Applied migrations, read straight from the database. */
async function appliedMigrations(d: TestDb): Promise<string[]> {
  if (d.file) {
    const conn = new SQLite(d.file, { readonly: true });
    try {
      return (conn.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query(`SELECT name FROM "${d.schema}".kysely_migration ORDER BY name`)).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function pgQuery(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** The tables of a PostgreSQL schema, sorted; undefined when there is no such schema. */
async function pgTables(schema: string): Promise<string[] | undefined> {
  if (!(await pgQuery(`SELECT 1 FROM pg_namespace WHERE nspname = '${schema}'`)).rowCount) return undefined;
  return (await pgQuery(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`)).rows.map((r) => r.table_name);
}

beforeAll(() => {
  // dist/ is built once per run by test/helpers/global-setup.ts.
  expect(fs.existsSync(CLI)).toBe(true);
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(dbs.map((d) => d.drop().catch(() => undefined)));
  fs.rmSync(cwd, { recursive: true, force: true });
});

describe('configuration errors stop start-up', SLOW, () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['PORT=abc', { PORT: 'abc' }, ['PORT']],
    ['HOOKBRIDGE_ROLE=boss', { HOOKBRIDGE_ROLE: 'boss' }, ['HOOKBRIDGE_ROLE']],
    ['several bad values at once', { PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://localhost/x', HOOKBRIDGE_ALLOW_PRIVATE_TARGETS: 'maybe' }, ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'HOOKBRIDGE_ALLOW_PRIVATE_TARGETS']],
    ['PostgreSQL without a secret key', { DATABASE_URL: 'postgres://127.0.0.1:1/x', HOOKBRIDGE_SECRET_KEY: '', HOOKBRIDGE_ADMIN_TOKEN: 'short' }, ['HOOKBRIDGE_SECRET_KEY', 'HOOKBRIDGE_ADMIN_TOKEN']],
    // No path: it used to serve a throwaway database and write secret.key into the working directory.
    ['DATABASE_URL=sqlite: with no path', { DATABASE_URL: 'sqlite:' }, ['DATABASE_URL']],
  ];
  it.each(cases)('%s: a message naming the variable, exit code ≠ 0', async (_name, extra, vars) => {
    const d = db();
    const r = await run(['serve'], envFor(d, extra), 15_000);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/Invalid configuration/);
    for (const v of vars) expect(r.stderr).toContain(v);
    // It never got as far as listening or touching the database.
    expect(r.stdout).not.toContain('hookbridge listening');
    if (d.file) expect(fs.existsSync(d.file)).toBe(false);
  });

  it('a bad --port flag is reported under its variable name', async () => {
    const r = await run(['serve', '--port', 'abc'], envFor(db()));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PORT');
  });

  it('an empty ?schema= in a PostgreSQL URL is a configuration error for migrate and token create (it read as "no schema", and migrate failed on an internal error)', async () => {
    // Nothing listens on port 1: the check comes before any connection.
    const env = envFor(undefined, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x?schema=', HOOKBRIDGE_SECRET_KEY: SECRET_KEY });
    for (const args of [['migrate'], ['token', 'create', '--project', 'default']]) {
      const r = await run(args, env);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toMatch(/Invalid configuration/);
      expect(r.stderr).toMatch(/DATABASE_URL: \?schema= is empty/);
      expect(r.stdout.trim()).toBe('');
    }
  });

  it('a bad value in ./.env stops start-up too', async () => {
    const dir = fs.mkdtempSync(path.join(cwd, 'dotenv-'));
    fs.writeFileSync(path.join(dir, '.env'), 'HOOKBRIDGE_ROLE=boss\n');
    const r = await run(['migrate'], envFor(db(), { HOOKBRIDGE_ROLE: undefined }), 15_000, dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('HOOKBRIDGE_ROLE');
  });
});

describe('hookbridge serve', SLOW, () => {
  it('with no HOOKBRIDGE_ADMIN_TOKEN prints a generated admin token once; it works; a second start prints none', async () => {
    const d = db();
    const env = envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: undefined });
    const first = await serve(env);
    // The banner is written right after listening; give the pipe a moment.
    const deadline = Date.now() + 5000;
    while (!/hba_[A-Za-z0-9_-]{20,}/.test(first.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    // Printed once, on stderr; never in the JSON log stream on stdout.
    const tokens = first.stderr().match(/hba_[A-Za-z0-9_-]{20,}/g) ?? [];
    expect(tokens, first.stderr()).toHaveLength(1);
    const token = tokens[0] as string;
    expect(first.stderr()).toMatch(/shown once/);
    expect(first.stdout()).not.toContain(token);
    // Exactly one "listening" line.
    expect(first.stdout().split('\n').filter((l) => /listening/.test(l))).toHaveLength(1);

    const projects = await call(first.base, token, 'GET', '/v1/projects');
    expect(projects.status, projects.text).toBe(200);
    expect(projects.body.data.map((p: { id: string }) => p.id)).toContain('prj_default');
    expect((await call(first.base, 'hba_wrong_token_000000000000000000')).status).toBe(401);
    expect(await stop(first)).toBe(0);

    const second = await serve(env);
    expect((await call(second.base, token)).status).toBe(200);
    expect(await stop(second)).toBe(0);
    // After exit every byte it wrote has arrived: no token, no banner.
    expect(second.stdout()).toContain('hookbridge listening');
    expect(second.stdout() + second.stderr()).not.toMatch(/hba_/);
    expect(second.stderr()).not.toMatch(/Admin token/);
  });
  it('a first start that cannot listen (the port taken) keeps no admin token: the next start generates one and prints it', async () => {
    const d = db();
    const env = envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: undefined });
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const failed = start(['serve', '--port', String(port)], env);
      expect(await failed.exited).not.toBe(0);
      expect(failed.stderr() + failed.stdout()).toMatch(/EADDRINUSE/);
      // It never printed a token, so none may be left in the database.
      expect(failed.stderr()).not.toMatch(/hba_/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    const next = await serve(env);
    const deadline = Date.now() + 5000;
    while (!/hba_[A-Za-z0-9_-]{20,}/.test(next.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const tokens = next.stderr().match(/hba_[A-Za-z0-9_-]{20,}/g) ?? [];
    expect(tokens, next.stderr()).toHaveLength(1);
    expect((await call(next.base, tokens[0] as string)).status).toBe(200);
    expect(await stop(next)).toBe(0);
  });
});

describe('a secret key that does not open the stored secrets', SLOW, () => {
  it('stops start-up with a message naming HOOKBRIDGE_SECRET_KEY (it used to report ready, then answer 500 to every webhook read)', async () => {
    const d = db();
    const admin = 'hba_key_check_admin_token_0123456789';
    const first = await serve(envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: admin, HOOKBRIDGE_SECRET_KEY: 'the-first-key-0123456789abcdef' }));
    const created = await call(first.base, admin, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['message.created'] });
    expect(created.status, created.text).toBe(201);
    expect(await stop(first)).toBe(0);
    const wrong = await run(['serve'], envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: admin, HOOKBRIDGE_SECRET_KEY: 'another-key-0123456789abcdef' }), 20_000);
    expect(wrong.code, wrong.stderr).not.toBe(0);
    expect(wrong.stderr).toMatch(/HOOKBRIDGE_SECRET_KEY does not open the webhook secrets/);
    expect(wrong.stdout).not.toContain('hookbridge listening');
    // The right key still starts.
    const again = await serve(envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: admin, HOOKBRIDGE_SECRET_KEY: 'the-first-key-0123456789abcdef' }));
    expect((await call(again.base, admin, 'GET', '/v1/webhooks')).status).toBe(200);
    expect(await stop(again)).toBe(0);
  });
});

describe('hookbridge migrate and token create', SLOW, () => {
  it('migrate prepares a fresh database; token create prints tokens that work against a running server on it', async () => {
    const d = db();
    const env = envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: ADMIN });

    const m = await run(['migrate'], env);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/migrations up to date/);
    const applied = await appliedMigrations(d);
    expect(applied).toContain('001_init');
    expect(applied).toContain(LATEST_MIGRATION);
    const again = await run(['migrate'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(await appliedMigrations(d)).toEqual(applied);

    // Before any server ran: the default project is created on demand.
    const early = await run(['token', 'create', '--project', 'default', '--name', 'deploy'], env);
    expect(early.code, early.stderr).toBe(0);
    const earlyToken = early.stdout.trim();
    expect(earlyToken).toMatch(/^hb_[A-Za-z0-9_-]{40,}$/);
    expect(early.stderr).toMatch(/prj_default/);

    const s = await serve(env);
    expect((await call(s.base, ADMIN, 'GET', '/v1/projects')).status).toBe(200);
    const me = await call(s.base, earlyToken);
    expect(me.status, me.text).toBe(200);
    expect(me.body.data.id).toBe('prj_default');

    // While the server runs, on the same database.
    const live = await run(['token', 'create', '--project', 'default'], env);
    expect(live.code, live.stderr).toBe(0);
    const liveToken = live.stdout.trim();
    expect(liveToken).not.toBe(earlyToken);
    expect((await call(s.base, liveToken)).body.data.id).toBe('prj_default');
    // A project token, not an admin one.
    expect((await call(s.base, liveToken, 'GET', '/v1/projects')).status).toBe(403);

    // For a project made through the API, and for one that does not exist.
    const made = await call(s.base, ADMIN, 'POST', '/v1/projects', { name: 'cli-made' });
    expect(made.status).toBe(201);
    const forMade = await run(['token', 'create', '--project', made.body.data.id], env);
    expect(forMade.code, forMade.stderr).toBe(0);
    expect((await call(s.base, forMade.stdout.trim())).body.data.id).toBe(made.body.data.id);
    const missing = await run(['token', 'create', '--project', 'prj_missing'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/prj_missing.*not found/);
    expect(missing.stdout.trim()).toBe('');

    expect(await stop(s)).toBe(0);
    // HOOKBRIDGE_ADMIN_TOKEN was set: nothing generated, nothing printed.
    expect(s.stdout()).not.toContain(ADMIN);
    expect(s.stdout()).not.toMatch(/Admin token/);
  });
});

describe('token create --name', SLOW, () => {
  it('an empty, blank or over-long name is refused with a message naming --name, and no token is issued', async () => {
    const d = db();
    const env = envFor(d);
    expect((await run(['migrate'], env)).code).toBe(0);
    for (const name of ['', '   ', '\t', 'x'.repeat(201)]) {
      const r = await run(['token', 'create', '--project', 'default', '--name', name], env);
      expect(r.code, `${JSON.stringify(name)}: ${r.stderr}`).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toMatch(/--name/);
      expect(r.stderr).toMatch(/empty or only spaces|at most 200/);
      expect(r.stdout.trim()).toBe('');
    }
    // A name with spaces inside (or around) is a name, kept trimmed as the API keeps it.
    const ok = await run(['token', 'create', '--project', 'default', '--name', ' deploy bot '], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toMatch(/^hb_/);
    const srv = await serve(envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: ADMIN }));
    const listed = await call(srv.base, ADMIN, 'GET', '/v1/projects/prj_default/tokens');
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.data.map((t: { name: string }) => t.name)).toContain('deploy bot');
    expect(await stop(srv)).toBe(0);
  });
});

describe('commands that touch the database say which, and only serve and migrate create one', SLOW, () => {
  it('a SQLite URL naming a directory stops serve and migrate with a message saying so and what to give instead', async () => {
    const dir = fs.mkdtempSync(path.join(cwd, 'a-dir-'));
    for (const args of [['serve', '--port', '0'], ['migrate']]) {
      const r = await run(args, envFor(undefined, { DATABASE_URL: `sqlite:${dir}` }), 20_000);
      expect(r.code, r.stderr).toBe(1);
      // It was SQLite's bare "unable to open database file".
      expect(r.stderr).toContain(`cannot open the SQLite database ${dir}: it is a directory`);
      expect(r.stderr).toContain(`sqlite:${path.join(dir, 'hookbridge.db')}`);
      expect(r.stdout).not.toContain('hookbridge listening');
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('token create with no database refuses, naming the path, and creates nothing', async () => {
    // The default DATABASE_URL, sqlite:./data/hookbridge.db, in a directory that has none.
    const dir = fs.mkdtempSync(path.join(cwd, 'empty-'));
    const r = await run(['token', 'create', '--project', 'default'], envFor(undefined), 20_000, dir);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain(path.join(fs.realpathSync(dir), 'data', 'hookbridge.db'));
    expect(r.stderr).toMatch(/hookbridge migrate|hookbridge serve/);
    expect(r.stdout.trim()).toBe('');
    expect(fs.readdirSync(dir)).toEqual([]);

    // A path given with --database (or DATABASE_URL) that does not exist.
    const missing = path.join(dir, 'elsewhere', 'typo.db');
    const flag = await run(['token', 'create', '--project', 'default', '--database', `sqlite:${missing}`], envFor(undefined), 20_000, dir);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain(missing);
    expect(flag.stdout.trim()).toBe('');
    expect(fs.existsSync(path.dirname(missing))).toBe(false);

    // An in-memory database would vanish with the token in it.
    const mem = await run(['token', 'create', '--project', 'default'], envFor(undefined, { DATABASE_URL: 'sqlite::memory:' }), 20_000, dir);
    expect(mem.code).not.toBe(0);
    expect(mem.stderr).toMatch(/memory/);
    expect(mem.stdout.trim()).toBe('');

    // A file that is not a Hookbridge database is not turned into one.
    const stray = path.join(dir, 'stray.db');
    fs.writeFileSync(stray, '');
    const notOurs = await run(['token', 'create', '--project', 'default', '--database', `sqlite:${stray}`], envFor(undefined), 20_000, dir);
    expect(notOurs.code).not.toBe(0);
    expect(notOurs.stderr).toContain(stray);
    expect(fs.statSync(stray).size).toBe(0);
  });

  it.runIf(!!PG_URL)('on PostgreSQL, token create with a ?schema= that does not exist or holds no Hookbridge tables refuses, and creates neither schema nor table', async () => {
    const d = db(); // a fresh schema name: nothing made yet
    const missing = await run(['token', 'create', '--project', 'default'], envFor(d));
    expect(missing.code, missing.stderr).not.toBe(0);
    expect(missing.code).not.toBeNull();
    expect(missing.stderr).toContain(`no schema ${d.schema}`);
    expect(missing.stderr).toMatch(/hookbridge migrate/);
    expect(missing.stdout.trim()).toBe('');
    expect(await pgTables(d.schema!)).toBeUndefined();

    // A schema that exists but is another program's: no table is added to it.
    await pgQuery(`CREATE SCHEMA ${d.schema}; CREATE TABLE ${d.schema}.theirs (id int)`);
    const foreign = await run(['token', 'create', '--project', 'default'], envFor(d));
    expect(foreign.code, foreign.stderr).not.toBe(0);
    expect(foreign.stderr).toMatch(/no Hookbridge tables/);
    expect(foreign.stdout.trim()).toBe('');
    expect(await pgTables(d.schema!)).toEqual(['theirs']);

    // Once migrated, it works.
    expect((await run(['migrate'], envFor(d))).code).toBe(0);
    const t = await run(['token', 'create', '--project', 'default'], envFor(d));
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.trim()).toMatch(/^hb_/);
  });

  it.runIf(!!PG_URL)('on PostgreSQL without ?schema=, another program\'s Kysely tables in another schema are not taken for ours: migrate makes ours in search_path\'s schema', async () => {
    const name = `hb_cli_${Math.random().toString(36).slice(2, 10)}`;
    await pgQuery(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(PG_URL!);
      url.pathname = `/${name}`;
      url.search = '';
      const other = new pg.Client({ connectionString: url.toString() });
      await other.connect();
      try {
        await other.query('CREATE SCHEMA theirs; CREATE TABLE theirs.kysely_migration (name text); CREATE TABLE theirs.kysely_migration_lock (id text)');
      } finally {
        await other.end();
      }
      const env = envFor(undefined, { DATABASE_URL: url.toString(), HOOKBRIDGE_SECRET_KEY: SECRET_KEY });
      const m = await run(['migrate'], env);
      expect(m.code, m.stderr).toBe(0);
      const t = await run(['token', 'create', '--project', 'default'], env);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout.trim()).toMatch(/^hb_/);
      const check = new pg.Client({ connectionString: url.toString() });
      await check.connect();
      try {
        const ours = await check.query(`SELECT count(*)::int AS n FROM public.kysely_migration`);
        expect(ours.rows[0].n).toBeGreaterThan(0);
        const theirs = await check.query(`SELECT count(*)::int AS n FROM theirs.kysely_migration`);
        expect(theirs.rows[0].n).toBe(0);
      } finally {
        await check.end();
      }
    } finally {
      await pgQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('migrate and serve may create it; every command that opens it prints which database to stderr', async () => {
    const d = db();
    const env = envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: ADMIN });
    const where = d.file ?? d.schema!;
    const m = await run(['migrate'], env);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toContain(where);
    const t = await run(['token', 'create', '--project', 'default'], env);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain(where);
    expect(t.stdout.trim()).toMatch(/^hb_/); // stdout stays the token alone, for scripts
    const s = await serve(env);
    expect(await stop(s)).toBe(0);
    expect(s.stderr()).toContain(where);
    if (PG_URL) for (const out of [m.stderr, t.stderr, s.stderr()]) expect(out).not.toMatch(/:[^:@/]+@/); // no password
  });
});

describe('processes started at once on one fresh database', SLOW, () => {
  it('two `migrate` at once both succeed', async () => {
    const d = db();
    const env = envFor(d);
    const [a, b] = await Promise.all([run(['migrate'], env), run(['migrate'], env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const applied = await appliedMigrations(d);
    expect(applied).toContain(LATEST_MIGRATION);
    expect(new Set(applied).size).toBe(applied.length);
  });

  it('two `serve` at once both come up and share one database (and one secret key)', async () => {
    const d = db();
    const env = envFor(d, { HOOKBRIDGE_ADMIN_TOKEN: ADMIN });
    const procs = await Promise.all([serve(env), serve(env)]);
    for (const p of procs) {
      const r = await call(p.base, ADMIN);
      expect(r.status, p.stderr()).toBe(200);
      expect(r.body.data.id).toBe('prj_default');
    }
    // A webhook made through one is readable (its secret decrypts) through the other.
    const made = await call(procs[0].base, ADMIN, 'POST', '/v1/webhooks', { url: 'https://example.com/race', events: ['*'], secret: 'race_secret_value' });
    expect(made.status, made.text).toBe(201);
    const got = await call(procs[1].base, ADMIN, 'GET', `/v1/webhooks/${made.body.data.id}`);
    expect(got.status, got.text).toBe(200);
    expect(got.body.data.secret).toBe('race_****alue');
    // One default project, one catalog.
    const types = await call(procs[1].base, ADMIN, 'GET', '/v1/event-types?limit=1000');
    const names: string[] = types.body.data.map((t: { name: string }) => t.name);
    expect(names).toContain('message.created');
    expect(new Set(names).size).toBe(names.length);
    expect((await call(procs[0].base, ADMIN, 'GET', '/v1/projects')).body.pagination.total).toBe(1);
    for (const p of procs) expect(await stop(p)).toBe(0);
  });

  it('the start-up steps interleaved on two connections: one default project, one admin token, no error', async () => {
    const d = db();
    const cfg = loadConfig({ DATABASE_URL: d.url, HOOKBRIDGE_SECRET_KEY: SECRET_KEY, HOOKBRIDGE_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent' });
    const log = pino({ level: 'silent' });
    // better-sqlite3 waits for a lock synchronously, so two connections in ONE process
    // cannot both hold transactions across awaits (that is what separate processes are
    // for, above). On SQLite only the lock-free step, the admin token, is interleaved.
    const both = <T>(f: () => Promise<T>) => (PG_URL ? Promise.all([f(), f()]) : f().then(async (x) => [x, await f()]));
    const [a, b] = await both(() => openRepos(cfg, log));
    try {
      if (PG_URL) await Promise.all([ensureDefaultProject(a.repos), ensureDefaultProject(b.repos)]);
      else for (const r of [a, b]) await ensureDefaultProject(r.repos);
      const printed = await Promise.all([ensureAdminToken(a.repos, cfg), ensureAdminToken(b.repos, cfg)]);
      expect(printed).toEqual([undefined, undefined]);
      expect((await a.repos.projects.list(10, 0)).total).toBe(1);
      expect((await b.repos.tokens.findByToken(ADMIN))?.is_admin).toBe(1);
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });
});
