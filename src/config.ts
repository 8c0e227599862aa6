/**
 * Configuration, parsed once from the environment (and `.env`, loaded by the CLI).
 * Every bad value is collected so start-up fails listing all of them at once.
 * This is the only module that reads `process.env`.
 */
import path from 'node:path';
import { envReader, type Env } from './core/env.js';
import { postgresTarget } from './core/database-url.js';
import { BUILTIN_APPS } from './apps/index.js';

export type Role = 'api' | 'worker' | 'all';
export type SqliteSync = 'NORMAL' | 'FULL';

export interface Config {
  /** Listen port. Default: 8080 */
  port: number;
  /** Listen address. Default: 127.0.0.1 */
  host: string;
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. Default: sqlite:./data/hookbridge.db */
  databaseUrl: string;
  /** Bootstrap admin token; generated on first start when unset. */
  adminToken?: string;
  /** Key that encrypts webhook secrets at rest; generated into the data dir for SQLite. */
  secretKey?: string;
  /** Allow delivery to loopback/private addresses. Default: false */
  allowPrivateTargets: boolean;
  /** Which loops this process runs. Default: all */
  role: Role;
  /** Optional shared store for endpoint limits across processes. */
  redisUrl?: string;
  /** PostgreSQL connections per process. Default: 10 */
  databasePoolSize: number;
  /** pino level. Default: info */
  logLevel: string;
  /** Where SQLite files and the generated secret key live. Default: ./data */
  dataDir: string;
  /** Largest accepted API body in bytes. Default: 1 MiB */
  bodyLimit: number;
  /** SQLite `synchronous` pragma: NORMAL survives kill -9, FULL also power loss. Default: NORMAL */
  sqliteSynchronous: SqliteSync;
  /** SQLite page cache of the main connection, in MiB. Default: 4 */
  sqliteCacheMb: number;
  /** Past this many MiB the SQLite WAL is restarted in a quiet moment, and cut back to it. Default: 64 */
  sqliteWalMb: number;
  /** Grace period (ms) during which a rotated-out secret still signs. Default: 24 h */
  rotationGraceMs: number;
  /** A webhook failing every attempt this long (ms) is disabled. Default: 5 days */
  disableAfterFailingMs: number;
  /** How long a worker's claim on a delivery lasts before another may retake it (ms). Default: 60 s */
  leaseMs: number;
  /** Attempts before an app job (a Telegram send, a helpdesk comment) fails for good. Default: 20 */
  jobMaxAttempts: number;
  /** First retry delay of an app job (ms), doubling up to jobMaxRetryDelayMs. Default: 2000 */
  jobRetryDelayMs: number;
  /** Longest wait between an app job's attempts (ms). Default: 10 min */
  jobMaxRetryDelayMs: number;
  /** Between two retention passes (ms). Default: 60 s */
  retentionIntervalMs: number;
  /** Rows per retention transaction. Default: 500 */
  retentionBatchSize: number;
  /** Each built-in app's settings by app name; absent when the app is off. */
  apps: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const r = envReader(env);
  const { problems, str, int, bool, oneOf } = r;

  const databaseUrl = str('DATABASE_URL', 'sqlite:./data/hookbridge.db');
  // `sqlite:` with no path would open a throwaway database (and write secret.key into the working directory).
  if (!/^(sqlite:\s*\S|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(`DATABASE_URL=${JSON.stringify(databaseUrl)}: expected sqlite:PATH, sqlite::memory: or postgres://…`);
  }
  const isPg = databaseUrl.startsWith('postgres');
  const target = isPg ? postgresTarget(databaseUrl) : undefined;
  if (target && 'problem' in target) problems.push(`DATABASE_URL: ${target.problem}`);
  const secretKey = env.HOOKBRIDGE_SECRET_KEY || undefined;
  if (secretKey !== undefined && secretKey.length < 16) {
    problems.push('HOOKBRIDGE_SECRET_KEY: must be at least 16 characters (32 random bytes, hex or base64, recommended)');
  }
  if (isPg && !secretKey) {
    problems.push('HOOKBRIDGE_SECRET_KEY: required with PostgreSQL (every process must share the key that encrypts webhook secrets)');
  }
  const adminToken = env.HOOKBRIDGE_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('HOOKBRIDGE_ADMIN_TOKEN: must be at least 16 characters');
  }
  const logLevel = oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);

  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host: str('HOST', '127.0.0.1'),
    databaseUrl,
    adminToken,
    secretKey,
    allowPrivateTargets: bool('HOOKBRIDGE_ALLOW_PRIVATE_TARGETS', false),
    role: oneOf('HOOKBRIDGE_ROLE', 'all', ['api', 'worker', 'all'] as const),
    redisUrl: env.REDIS_URL || undefined,
    databasePoolSize: int('DATABASE_POOL_SIZE', 10, 1, 1000),
    logLevel,
    dataDir: path.resolve(str('HOOKBRIDGE_DATA_DIR', defaultDataDir(databaseUrl))),
    bodyLimit: int('HOOKBRIDGE_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    sqliteSynchronous: oneOf('HOOKBRIDGE_SQLITE_SYNC', 'NORMAL', ['NORMAL', 'FULL'] as const),
    sqliteCacheMb: int('HOOKBRIDGE_SQLITE_CACHE_MB', 4, 1, 4096),
    sqliteWalMb: int('HOOKBRIDGE_SQLITE_WAL_MB', 64, 1, 65536),
    rotationGraceMs: int('HOOKBRIDGE_ROTATION_GRACE_SECONDS', 86400, 0, 30 * 86400) * 1000,
    disableAfterFailingMs: int('HOOKBRIDGE_DISABLE_AFTER_SECONDS', 5 * 86400, 1, 365 * 86400) * 1000,
    leaseMs: int('HOOKBRIDGE_LEASE_SECONDS', 60, 2, 3600) * 1000,
    jobMaxAttempts: int('HOOKBRIDGE_JOB_MAX_ATTEMPTS', 20, 1, 1000),
    jobRetryDelayMs: int('HOOKBRIDGE_JOB_RETRY_DELAY_MS', 2000, 10, 3_600_000),
    jobMaxRetryDelayMs: int('HOOKBRIDGE_JOB_MAX_RETRY_DELAY_MS', 600_000, 10, 86_400_000),
    retentionIntervalMs: int('HOOKBRIDGE_RETENTION_INTERVAL_SECONDS', 60, 1, 86_400) * 1000,
    retentionBatchSize: int('HOOKBRIDGE_RETENTION_BATCH', 500, 1, 100_000),
    apps: {},
  };
  // Each built-in app reads its own variables in the same pass, so every problem is listed at once.
  for (const app of BUILTIN_APPS) {
    const c = app.config(r);
    if (c !== undefined) config.apps[app.name] = c;
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The data dir defaults to the SQLite file's folder, so the generated key sits beside the db. */
function defaultDataDir(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:') && databaseUrl !== 'sqlite::memory:') {
    return path.dirname(databaseUrl.slice('sqlite:'.length));
  }
  return './data';
}
