/**
 * Start-up steps shared by `serve`, `migrate` and `token create`: the secret key,
 * the store, migrations, the default project and the admin token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openStore, type Store } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';
import { createRepos, type Repos } from './store/index.js';
import { createSecretBox } from './core/secretbox.js';

export const DEFAULT_PROJECT_ID = 'prj_default';

/** The key from the environment, or one generated once into the data dir (SQLite only). */
export function resolveSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl === 'sqlite::memory:') return randomBytes(32).toString('hex');
  const file = path.join(config.dataDir, 'secret.key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export async function openRepos(config: Config, logger: Logger): Promise<{ store: Store; repos: Repos }> {
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  const applied = await migrateToLatest(store.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const repos = createRepos(store, createSecretBox(resolveSecretKey(config)));
  return { store, repos };
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
      await repos.tokens.create({ projectId: null, isAdmin: true, name: 'admin (HOOKBRIDGE_ADMIN_TOKEN)', token: config.adminToken });
    }
    return undefined;
  }
  if (await repos.tokens.hasAdmin()) return undefined;
  const { token } = await repos.tokens.create({ projectId: null, isAdmin: true, name: 'admin' });
  return token;
}
