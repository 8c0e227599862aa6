/**
 * Numbered, append-only migrations, applied exactly once however many processes start
 * at once. On PostgreSQL Kysely's Migrator runs them in one transaction under an advisory
 * lock. On SQLite it takes neither (each migration commits on its own), so migrateStore
 * wraps the whole run in one IMMEDIATE transaction: that is the lock (a second process
 * waits for it, then finds nothing left to do) and makes the run all-or-nothing, as on
 * PostgreSQL.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { sqliteParts, type Store } from './db.js';
import * as m001 from './migrations/001_init.js';
import * as m002 from './migrations/002_inbound.js';
import * as m003 from './migrations/003_claim_index.js';
import * as m004 from './migrations/004_jobs.js';
import * as m005 from './migrations/005_portal_links.js';
import * as m006 from './migrations/006_test_sends.js';
import * as m007 from './migrations/007_scale_out.js';
import * as m008 from './migrations/008_lean_queue.js';
import * as m009 from './migrations/009_rate_window.js';
import * as m010 from './migrations/010_rate_until_done.js';
import * as m011 from './migrations/011_rate_marked_sends.js';
import * as m012 from './migrations/012_events_without_fk.js';

/** The core's migrations; built-in apps bring their own (named `app_<name>_…`). */
export const CORE_MIGRATIONS: Record<string, Migration> = {
  '001_init': m001,
  '002_inbound': m002,
  '003_claim_index': m003,
  '004_jobs': m004,
  '005_portal_links': m005,
  '006_test_sends': m006,
  '007_scale_out': m007,
  '008_lean_queue': m008,
  '009_rate_window': m009,
  '010_rate_until_done': m010,
  '011_rate_marked_sends': m011,
  '012_events_without_fk': m012,
};

export const LATEST_MIGRATION = Object.keys(CORE_MIGRATIONS).sort().at(-1)!;

/**
 * The core's and the apps' migrations in one set. Apps' names sort after the core's
 * today, but a later core migration sorts before an app's applied one: the migrator
 * allows that order (each migration stands alone; apps touch only their own tables).
 */
function provider(extra: Record<string, Migration>) {
  const all = { ...CORE_MIGRATIONS, ...extra };
  return { getMigrations: async () => all };
}

/**
 * `schema`: on PostgreSQL, where the migration bookkeeping tables live (the store's
 * introspector lists only that schema: pg-introspector.ts).
 */
export function migrateToLatest(db: Kysely<any>, schema?: string, extra: Record<string, Migration> = {}): Promise<string[]> {
  // Losers of a start-up race see a duplicate row in Kysely's own lock/migration tables,
  // or a table the winner has just created.
  return migrate(db, schema, extra, (run) => run(), (message) => /already exists|duplicate column|UNIQUE constraint failed|duplicate key/i.test(message));
}

/** Runs a migration attempt under whatever makes it exclusive; the attempt reports its error in its result. */
type Exclusively = (run: () => Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>>) => Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>>;

/** Applies what is pending, trying again (with back-off) after an error `lostRace` says another process caused. */
async function migrate(db: Kysely<any>, schema: string | undefined, extra: Record<string, Migration>, exclusively: Exclusively, lostRace: (message: string) => boolean): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: provider(extra),
    allowUnorderedMigrations: true,
    ...(schema && { migrationTableSchema: schema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await exclusively(() => migrator.migrateToLatest()).catch((err: unknown) => ({ error: err, results: undefined }));
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const message = String((error as Error)?.message ?? error);
    const again = /SQLITE_BUSY|database is locked/i.test(message) || lostRace(message);
    if (!again || attempt >= 20) throw new Error(`migration failed: ${message}`, { cause: error });
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

/** The store's migrations, core and `extra` (the apps'), on either dialect. */
export async function migrateStore(store: Store, extra: Record<string, Migration> = {}): Promise<string[]> {
  const lite = sqliteParts(store);
  if (!lite) return migrateToLatest(store.db, store.schema, extra);
  const { sqlite, lend } = lite;
  // Usually there is nothing to apply: then no lock at all (a CLI command run beside a
  // server must not hold the server's writes while it looks).
  if (await migrationsApplied(store.db, undefined, extra)) return [];
  // BEGIN IMMEDIATE takes the write lock at once (waiting up to the busy timeout); the
  // migrator's statements then run inside it on the same connection. Nothing else uses
  // the store while it opens.
  const exclusively: Exclusively = async (run) => {
    await lend(() => sqlite.exec('BEGIN IMMEDIATE'));
    try {
      const out = await run();
      if (!out.error) await lend(() => sqlite.exec('COMMIT'));
      return out;
    } finally {
      // After a failed run or commit, roll back what is still open (some errors make SQLite
      // do it itself), so the write lock is never left held.
      await lend(() => sqlite.inTransaction && sqlite.exec('ROLLBACK'));
    }
  };
  // Under the lock only a busy database is another process's doing; any other error is
  // the migration's own and is reported at once.
  return migrate(store.db, undefined, extra, exclusively, () => false);
}

/** True when every known migration has been applied (used by /ready). */
export async function migrationsApplied(db: Kysely<any>, schema?: string, extra: Record<string, Migration> = {}): Promise<boolean> {
  const migrator = new Migrator({ db, provider: provider(extra), allowUnorderedMigrations: true, ...(schema && { migrationTableSchema: schema }) });
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
