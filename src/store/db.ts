/**
 * The storage seam: one Kysely instance plus dialect capability flags. Everything
 * above this layer asks the flags, never "is this SQLite?".
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, sql } from 'kysely';
import { OwnSchemaPostgresDialect } from './pg-introspector.js';
import { ConnectionGate, GatedSqliteDialect } from './sqlite-gate.js';
import type { DB } from './schema.js';
import { startCheckpointer } from './checkpointer.js';
import { isUniqueViolation } from './query.js';
import { sqliteWriter, type SqliteWriter } from './group-commit.js';
import { postgresTarget, type PostgresTarget } from '../core/database-url.js';

export interface Capabilities {
  dialect: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` claims (many workers). */
  skipLocked: boolean;
  /** `LISTEN/NOTIFY` wake-ups across processes. */
  notify: boolean;
}

export interface Store {
  db: Kysely<DB>;
  caps: Capabilities;
  /** The raw better-sqlite3 handle (hot paths) or the pg pool; undefined for the other dialect. */
  sqlite?: SQLite.Database;
  /** SQLite: the one writer that group-commits synchronous steps on `sqlite` (see group-commit.ts). */
  write?: SqliteWriter;
  /** SQLite: runs a synchronous step on `sqlite` holding the connection (see sqlite-gate.ts). */
  lend?: Lend;
  pool?: pg.Pool;
  /**
   * PostgreSQL: the pool for the queue's hot prepared statements (hotPoolConfig), carved out
   * of the configured size; absent when the size is too small to split (they use `pool`).
   */
  hotPool?: pg.Pool;
  /** PostgreSQL: the schema the tables live in — `?schema=`, else search_path's first (`current_schema()`). */
  schema?: string;
  /** The main pool's connection settings, for LISTEN clients (a plain client ignores the pool's session setup, which LISTEN does not need). */
  pgConnection?: pg.PoolConfig;
  close(): Promise<void>;
}

/** Past this size the SQLite WAL is copied and restarted in a quiet moment (checkpointer.ts). */
export const WAL_RESTART_BYTES = 64 * 1024 * 1024;
/** The size a SQLite WAL file that grew past it is cut back to after a restart: twice the restart size (see openSqlite). */
export const walFileLimit = (restartBytes: number) => 2 * restartBytes;

export interface StoreOptions {
  databaseUrl: string;
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** SQLite page cache of the main connection, MiB (default 4; see openSqlite). */
  sqliteCacheMb?: number;
  poolSize?: number;
  /** How often the SQLite checkpoint thread runs (ms; default CHECKPOINT_EVERY_MS, checkpointer.ts). */
  sqliteCheckpointMs?: number;
  /** Past this size the SQLite WAL is copied and restarted in a quiet moment (default WAL_RESTART_BYTES; see checkpointer.ts). */
  sqliteMaxWalBytes?: number;
  /** Problems worth a log line that do not stop the store (e.g. the checkpoint thread). */
  onWarning?: (msg: string) => void;
}

// int8/bigint columns hold millisecond times and counts well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** The file of a `sqlite:PATH` URL, absolute; undefined for PostgreSQL and `sqlite::memory:`. */
export function sqliteFile(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const file = databaseUrl.slice('sqlite:'.length);
  return file === ':memory:' ? undefined : path.resolve(file);
}

/**
 * Whether `file` is an existing SQLite database Hookbridge has migrated; never creates
 * or changes it. A missing file, an empty one or another program's database is not.
 */
export function isHookbridgeSqlite(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  let conn: SQLite.Database | undefined;
  try {
    conn = new SQLite(file, { fileMustExist: true });
    return !!conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
  } catch {
    return false; // not a database at all ("file is not a database")
  } finally {
    conn?.close();
  }
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  return opts.databaseUrl.startsWith('sqlite:') ? openSqlite(opts) : openPostgres(opts);
}

/** How long opening a SQLite file waits for another process to let it switch the file to WAL. */
const OPEN_BUSY_MS = 5000;

async function openSqlite(opts: StoreOptions): Promise<Store> {
  const file = opts.databaseUrl.slice('sqlite:'.length);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = openFile(file);
  try {
    await switchToWal(sqlite);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'NORMAL'}`);
  // A WAL only restarts from its beginning once a checkpoint copied all of it, so a burst
  // of writes (a backlog draining, a click storm) grows it — 500 MB in 6 s of meeting
  // clicks — until the checkpoint thread restarts it (checkpointer.ts), and SQLite keeps
  // the file at its largest size for as long as the server runs. With a limit, the first
  // commit after a restart truncates it back, on this thread: cutting the file at the
  // restart size itself stalled that commit 5–9 ms at every restart (every 3 s at 500
  // publishes a second, the file some MB past the size when it restarted), and the file
  // then grew back through the same blocks. At twice the restart size steady traffic
  // reuses the file from its start; only a burst past it is cut back.
  const restartBytes = opts.sqliteMaxWalBytes ?? WAL_RESTART_BYTES;
  sqlite.pragma(`journal_size_limit = ${walFileLimit(restartBytes)}`);
  sqlite.pragma('foreign_keys = ON');
  // better-sqlite3 builds SQLite with a 16 MiB page cache; 4 MiB holds what the queue
  // touches (the pending index and the newest rows), and every page it does not hold is
  // in the OS file cache. Measured on a 1,000,000-delivery backlog: 10 MB less peak
  // memory, the same drain and publish rates.
  sqlite.pragma(`cache_size = ${-Math.round((opts.sqliteCacheMb ?? 4) * 1024)}`);
  const gate = new ConnectionGate();
  const db = new Kysely<DB>({ dialect: new GatedSqliteDialect({ database: cachedStatements(sqlite) }, gate) });
  const lend: Lend = (fn) => gate.lend(fn);
  const checkpointer =
    file === ':memory:'
      ? undefined
      : startCheckpointer(sqlite, path.resolve(file), (msg) => opts.onWarning?.(msg), {
          everyMs: opts.sqliteCheckpointMs,
          maxWalBytes: restartBytes,
          quiet: () => gate.hold(),
        });
  return {
    db,
    sqlite,
    write: sqliteWriter(sqlite, lend),
    lend,
    caps: { dialect: 'sqlite', skipLocked: false, notify: false },
    async close() {
      await checkpointer?.stop();
      await db.destroy();
      // Kysely closes the handle only if it ever ran a query; raw steps alone never start it.
      if (sqlite.open) sqlite.close();
    },
  };
}

/** The connection, or an error that names the file (SQLite's own says only "unable to open database file"). */
function openFile(file: string): SQLite.Database {
  try {
    return new SQLite(file, { timeout: OPEN_BUSY_MS });
  } catch (err) {
    if (file === ':memory:') throw err;
    const where = path.resolve(file);
    const why = fs.statSync(where, { throwIfNoEntry: false })?.isDirectory()
      ? 'it is a directory: DATABASE_URL takes the path of a file in it, such as sqlite:' + path.join(where, 'hookbridge.db')
      : `${(err as Error).message} (check that the directory is writable by this user)`;
    throw new Error(`cannot open the SQLite database ${where}: ${why}`, { cause: err });
  }
}

/**
 * `journal_mode = WAL` on a new, empty file reads the header inside a read transaction
 * and then writes it: when two processes start on one new file at the same moment, the
 * second one's upgrade from reading to writing fails at once with "database is locked"
 * (SQLite cannot wait there without risking a deadlock, so the busy timeout does not
 * apply). The first one's switch takes microseconds: wait a little and ask again.
 */
async function switchToWal(sqlite: SQLite.Database): Promise<void> {
  const deadline = Date.now() + OPEN_BUSY_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const busy = String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
      if (!busy || Date.now() + wait > deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * Runs a synchronous step on the raw SQLite handle holding its one connection, so raw
 * statements never interleave with an open Kysely transaction: at once when Kysely does
 * not hold it.
 */
export type Lend = <T>(fn: () => T) => Promise<T>;

/** SQLite's raw handle, its writer and its lend, always together; undefined on PostgreSQL. */
export interface SqliteParts {
  sqlite: SQLite.Database;
  write: SqliteWriter;
  lend: Lend;
}

export function sqliteParts(store: Store): SqliteParts | undefined {
  if (!store.sqlite) return undefined;
  if (!store.write || !store.lend) throw new Error('a SQLite store must come with its writer and lend (openStore makes them)');
  return { sqlite: store.sqlite, write: store.write, lend: store.lend };
}

/**
 * Kysely's SQLite driver calls `prepare(sql)` for every query (30–70 µs each, often
 * more than running it); hand it a database whose statements are reused by SQL text.
 * Safe because the driver runs one query at a time on its single connection.
 */
function cachedStatements(sqlite: SQLite.Database, max = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let st = cache.get(sql);
      if (!st) {
        st = sqlite.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, st);
      }
      return st;
    },
  };
}

/** The URL's connection and schema; a URL the configuration check would refuse throws (see core/database-url.ts). */
function postgresTargetOf(databaseUrl: string): PostgresTarget {
  const target = postgresTarget(databaseUrl);
  if ('problem' in target) throw new Error(`DATABASE_URL: ${target.problem}`);
  return target;
}

/**
 * Whether a PostgreSQL URL leads to a Hookbridge database (its schema, or the
 * search_path's, holds the migration table); never creates or changes anything.
 * `no-schema`: the `?schema=` named does not exist; `no-tables`: nothing Hookbridge made is there.
 */
export async function postgresState(databaseUrl: string): Promise<'ready' | 'no-schema' | 'no-tables'> {
  const { connectionString, schema } = postgresTargetOf(databaseUrl);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    if (schema) {
      const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (!rows.length) return 'no-schema';
    }
    // to_regclass resolves an unqualified name through the search_path, as the migrator does.
    const table = schema ? `${schema}.kysely_migration` : 'kysely_migration';
    const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
    return rows[0].found ? 'ready' : 'no-tables';
  } finally {
    await client.end();
  }
}

/**
 * `postgres://…?schema=name` puts every table in that schema (created if missing);
 * tests give each run its own schema this way.
 */
async function openPostgres(opts: StoreOptions): Promise<Store> {
  const { connectionString, schema } = postgresTargetOf(opts.databaseUrl);
  // The schema as a session setting of each new connection (see sessionSetup).
  const schemaSetup = schema ? [`SET search_path TO ${schema}`] : [];
  // idleTimeoutMillis 0: a connection, once opened, stays open (pg closes one idle for 10 s by
  // default). Reopened, it cost a burst of publishes a new server process, its session set-up
  // and the hot statements' parse and plan again: 4 reopened inside the accept bench's 10 s.
  const config: pg.PoolConfig = { connectionString, max: opts.poolSize ?? 10, idleTimeoutMillis: 0, ...sessionSetup(schemaSetup) };
  if (schema) {
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (err) {
      // Two processes creating the same schema at once: the loser sees a unique violation.
      if (!isUniqueViolation(err)) throw err;
    } finally {
      await admin.end();
    }
  }
  const hot = hotPoolConfig(config, schemaSetup);
  const pool = new pg.Pool(config);
  const hotPool = hot && new pg.Pool(hot);
  for (const p of [pool, hotPool]) {
    p?.on('error', () => {
      /* an idle client lost its connection; the pool replaces it */
    });
  }
  const db = new Kysely<DB>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  // Without ?schema=, the schema our tables go to (search_path's first): the migrator is told
  // it, so its bookkeeping tables are made and found there (the introspector lists only it).
  const current = (await sql<{ s: string | null }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? undefined;
  if (hotPool) {
    // The hot sessions' settings are tried at start (once the server answered above) rather than at the first publish.
    try {
      (await hotPool.connect()).release();
    } catch (err) {
      await Promise.all([db.destroy(), hotPool.end()]).catch(() => {});
      throw new Error(`PostgreSQL: a connection for the hot statements could not be set up (${(err as Error).message}); PostgreSQL 12 or later is required`, { cause: err });
    }
  }
  return {
    db,
    pool,
    hotPool,
    schema: schema ?? current,
    pgConnection: config,
    caps: { dialect: 'postgres', skipLocked: true, notify: true },
    async close() {
      await db.destroy();
      await hotPool?.end();
    },
  };
}

/**
 * Settings every new connection of a pool takes before its first use, as plain `SET`s run by
 * pg-pool's `onConnect` (awaited before the connection is handed out). Not as an `options`
 * startup parameter: a pooler such as PgBouncer refuses options it does not know, and in its
 * session mode a `SET` holds for the session like a startup option. (Behind a pooler in
 * transaction mode no session setting holds, nor do the prepared statements: not supported.)
 */
export function sessionSetup(statements: string[]): Pick<pg.PoolConfig, 'onConnect'> {
  if (!statements.length) return {};
  const text = statements.join('; ');
  return {
    onConnect: async (client) => {
      await client.query(text);
    },
  };
}

/** The hot connections' own settings (see hotPoolConfig). */
const HOT_SESSION = ['SET plan_cache_mode = force_generic_plan', 'SET enable_seqscan = off'];

/**
 * The queue's hot statements (a publish batch, a result batch: CTEs over unnest arrays,
 * prepared per connection; see pg-prepared.ts) on connections of their own, where they run
 * on generic plans: PostgreSQL plans them once per connection instead of at every execution.
 * Planning was about a third of each round trip (measured one statement after another:
 * a one-event publish 0.70 against 0.98 ms; a result batch of 20 planned in 1.7 ms). A
 * generic plan is made without the parameters' values and kept, so one made on an empty
 * table could scan it whole ever after (seen: the webhooks lookups); with sequential scans
 * off in these sessions every table the statements read is reached through an index
 * (webhooks by project and by id, deliveries by id), whatever its size when the plan was
 * made. Nothing else runs on these connections.
 *
 * Up to 4 of the process's DATABASE_POOL_SIZE connections (never more than half); with fewer
 * than 4 in all, none: the hot statements share the main pool on custom plans.
 * Sets `main.max` to what is left for the main pool. `mainSetup`: the main pool's own session
 * settings (the schema), which these sessions take too, before their own.
 */
export function hotPoolConfig(main: pg.PoolConfig, mainSetup: string[] = []): pg.PoolConfig | undefined {
  const size = main.max ?? 10;
  const hot = Math.min(4, Math.floor(size / 2));
  if (hot < 2) return undefined;
  main.max = size - hot;
  return { ...main, max: hot, ...sessionSetup([...mainSetup, ...HOT_SESSION]) };
}
