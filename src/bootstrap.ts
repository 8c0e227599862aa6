/**
 * Start-up steps shared by `serve`, `migrate` and `token create`: the secret key,
 * the store, migrations, the default project and the admin token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { isHookbridgeSqlite, openStore, postgresState, sqliteFile, type Store } from './store/db.js';
import { migrateStore } from './store/migrate.js';
import { createRepos, type Repos } from './store/index.js';
import { createSecretBox, type SecretBox } from './core/secretbox.js';
import { postgresTarget } from './core/database-url.js';
import type { Migration } from 'kysely';
import { BUILTIN_APPS } from './apps/index.js';
import type { BuiltinApp } from './apps/app.js';

export const DEFAULT_PROJECT_ID = 'prj_default';

/** The key from the environment, or one generated once into the data dir (SQLite only). */
export function resolveSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl === 'sqlite::memory:') return randomBytes(32).toString('hex');
  const file = path.join(config.dataDir, 'secret.key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  if (!fs.existsSync(file)) {
    // Written whole under a temporary name, then linked into place: a process starting
    // at the same moment sees either no file or the complete key, never an empty one
    // (which it would otherwise read and use as a different key).
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < 16) throw new Error(`${file}: the secret key is missing or too short; restore it or set HOOKBRIDGE_SECRET_KEY`);
  return key;
}

/** Every registered app's migrations, keyed by their unique names. */
export function appMigrations(apps: BuiltinApp<any>[] = BUILTIN_APPS): Record<string, Migration> {
  return Object.assign({}, ...apps.map((a) => a.migrations ?? {}));
}

/** The database as a person should see it: the SQLite file's absolute path, or the PostgreSQL URL without its password. */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl === 'sqlite::memory:') return 'an in-memory SQLite database (sqlite::memory:)';
  const file = sqliteFile(databaseUrl);
  if (file) return `the SQLite database ${file}`;
  const url = new URL(databaseUrl);
  if (url.password) url.password = '****';
  return `the PostgreSQL database ${url.toString()}`;
}

/**
 * For commands that must not create a database (all but `serve` and `migrate`): why
 * `databaseUrl` is not an existing Hookbridge database, or undefined when it is. A
 * token written into a database nothing else uses would work nowhere. Looks without
 * creating anything (on PostgreSQL: no schema, no table).
 */
export async function notAnExistingDatabase(databaseUrl: string): Promise<string | undefined> {
  if (databaseUrl === 'sqlite::memory:') {
    return 'sqlite::memory: is a new, empty database that vanishes when this command exits; point --database or DATABASE_URL at the database the server uses';
  }
  const file = sqliteFile(databaseUrl);
  let what: string;
  if (file) {
    if (isHookbridgeSqlite(file)) return undefined;
    what = `${fs.existsSync(file) ? `${file} is not a Hookbridge database` : `There is no database at ${file}`} (DATABASE_URL=${databaseUrl})`;
  } else {
    const state = await postgresState(databaseUrl);
    if (state === 'ready') return undefined;
    const target = postgresTarget(databaseUrl);
    const schema = 'schema' in target ? target.schema : undefined;
    what =
      state === 'no-schema'
        ? `There is no schema ${schema} in ${describeDatabase(databaseUrl)}`
        : `There are no Hookbridge tables in ${describeDatabase(databaseUrl)}${schema ? '' : ' (its search_path)'}`;
  }
  return (
    `${what}. This command does not create one: point --database or DATABASE_URL ` +
    'at the database the server uses, or create it first with "hookbridge migrate" (or "hookbridge serve").'
  );
}

export async function openRepos(config: Config, logger: Logger, apps: BuiltinApp<any>[] = BUILTIN_APPS): Promise<{ store: Store; repos: Repos }> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    sqliteCacheMb: config.sqliteCacheMb,
    sqliteMaxWalBytes: config.sqliteWalMb * 1024 * 1024,
    poolSize: config.databasePoolSize,
    onWarning: (msg) => logger.warn(msg),
  });
  const applied = await migrateStore(store, appMigrations(apps)).catch(async (err: unknown) => {
    await store.close().catch(() => {}); // a failed start leaves no connection or thread behind
    throw err;
  });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const box = createSecretBox(resolveSecretKey(config));
  await checkSecretKey(store, box, config.databaseUrl).catch(async (err: unknown) => {
    await store.close().catch(() => {});
    throw err;
  });
  const repos = createRepos(store, box);
  return { store, repos };
}

/**
 * The key must open the secrets already stored: with another one, the process would report
 * ready and then answer 500 to every read of a webhook, and send nothing.
 */
async function checkSecretKey(store: Store, box: SecretBox, databaseUrl: string): Promise<void> {
  const row = await store.db.selectFrom('webhooks').select('secret_enc').limit(1).executeTakeFirst();
  if (!row) return;
  try {
    box.open(row.secret_enc);
  } catch {
    throw new Error(
      `HOOKBRIDGE_SECRET_KEY does not open the webhook secrets stored in ${describeDatabase(databaseUrl)}: it is not the key they were saved with. ` +
        'Start with the key the other processes use (for SQLite, the secret.key file beside the database).',
    );
  }
}

/**
 * The default project exists from first start. Its id is fixed, so two processes
 * starting at once cannot create two.
 */
export async function ensureDefaultProject(repos: Repos): Promise<string> {
  if (await repos.projects.get(DEFAULT_PROJECT_ID)) return DEFAULT_PROJECT_ID;
  try {
    await repos.projects.create({ id: DEFAULT_PROJECT_ID, name: 'Default', isDefault: true });
  } catch (err) {
    if (!(await repos.projects.get(DEFAULT_PROJECT_ID))) throw err;
  }
  return DEFAULT_PROJECT_ID;
}

/**
 * HOOKBRIDGE_ADMIN_TOKEN is registered (hashed) when set; otherwise one is generated
 * on first start and returned so the caller prints it once.
 */
export async function ensureAdminToken(repos: Repos, config: Config): Promise<string | undefined> {
  if (config.adminToken) {
    if (!(await repos.tokens.findByToken(config.adminToken))) {
      try {
        await repos.tokens.create({ projectId: null, isAdmin: true, name: 'admin (HOOKBRIDGE_ADMIN_TOKEN)', token: config.adminToken });
      } catch (err) {
        // Another process starting at the same moment registered it first (unique hash).
        if (!(await repos.tokens.findByToken(config.adminToken))) throw err;
      }
    }
    return undefined;
  }
  if (await repos.tokens.hasAdmin()) return undefined;
  const { token } = await repos.tokens.create({ projectId: null, isAdmin: true, name: 'admin' });
  return token;
}
