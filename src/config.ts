/**
 * Configuration, parsed once from the environment (and `.env`, loaded by the CLI).
 * Every bad value is collected so start-up fails listing all of them at once.
 * This is the only module that reads `process.env`.
 */
import path from 'node:path';

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
  /** Optional shared rate-limit store. */
  redisUrl?: string;
  /** pino level. Default: info */
  logLevel: string;
  /** Where SQLite files and the generated secret key live. Default: ./data */
  dataDir: string;
  /** Largest accepted API body in bytes. Default: 1 MiB */
  bodyLimit: number;
  /** SQLite `synchronous` pragma: NORMAL survives kill -9, FULL also power loss. Default: NORMAL */
  sqliteSynchronous: SqliteSync;
  /** Grace period (ms) during which a rotated-out secret still signs. Default: 24 h */
  rotationGraceMs: number;
  /** A webhook failing every attempt this long (ms) is disabled. Default: 5 days */
  disableAfterFailingMs: number;
  /** How long a worker's claim on a delivery lasts before another may retake it (ms). Default: 60 s */
  leaseMs: number;
  /** The built-in meetings app (seed 000), mounted for the default project. */
  meetings: MeetingsConfig;
}

export interface MeetingsConfig {
  /** Default: /webhook/kontur-create */
  path: string;
  /** When set, `?token=` must match. */
  token?: string;
  /** Default: mock */
  provider: 'mock' | 'ktalk';
  ktalkSpace?: string;
  /** Default: https://{KTALK_SPACE}.ktalk.ru/api */
  ktalkApiUrl?: string;
  ktalkApiKey?: string;
  /** Origins allowed by CORS. Default: ['*'] */
  allowedOrigins: string[];
  /** New rooms per user per minute. Default: 1 */
  rateLimit: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (k: string, d: string) => {
    const v = env[k];
    return v === undefined || v === '' ? d : v;
  };
  const int = (k: string, d: number, min: number, max: number) => {
    const raw = env[k];
    if (raw === undefined || raw === '') return d;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
      return d;
    }
    return n;
  };
  const bool = (k: string, d: boolean) => {
    const raw = env[k];
    if (raw === undefined || raw === '') return d;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    problems.push(`${k}=${JSON.stringify(raw)}: expected true or false`);
    return d;
  };
  const oneOf = <T extends string>(k: string, d: T, allowed: readonly T[]): T => {
    const raw = str(k, d);
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${k}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
      return d;
    }
    return raw as T;
  };

  const databaseUrl = str('DATABASE_URL', 'sqlite:./data/hookbridge.db');
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(`DATABASE_URL=${JSON.stringify(databaseUrl)}: expected sqlite:PATH, sqlite::memory: or postgres://…`);
  }
  const isPg = databaseUrl.startsWith('postgres');
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
    logLevel,
    dataDir: path.resolve(str('HOOKBRIDGE_DATA_DIR', defaultDataDir(databaseUrl))),
    bodyLimit: int('HOOKBRIDGE_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    sqliteSynchronous: oneOf('HOOKBRIDGE_SQLITE_SYNC', 'NORMAL', ['NORMAL', 'FULL'] as const),
    rotationGraceMs: int('HOOKBRIDGE_ROTATION_GRACE_SECONDS', 86400, 0, 30 * 86400) * 1000,
    disableAfterFailingMs: int('HOOKBRIDGE_DISABLE_AFTER_SECONDS', 5 * 86400, 1, 365 * 86400) * 1000,
    leaseMs: int('HOOKBRIDGE_LEASE_SECONDS', 60, 2, 3600) * 1000,
    meetings: undefined as unknown as MeetingsConfig,
  };
  config.meetings = meetingsConfig(env, problems, str, int);
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

function meetingsConfig(
  env: Env,
  problems: string[],
  str: (k: string, d: string) => string,
  int: (k: string, d: number, min: number, max: number) => number,
): MeetingsConfig {
  const path = str('MEETINGS_PATH', '/webhook/kontur-create');
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(path)) problems.push(`MEETINGS_PATH=${JSON.stringify(path)}: expected an absolute URL path like /webhook/kontur-create`);
  const provider = str('MEETINGS_PROVIDER', 'mock');
  if (provider !== 'mock' && provider !== 'ktalk') problems.push(`MEETINGS_PROVIDER=${JSON.stringify(provider)}: expected mock or ktalk`);
  const ktalkSpace = env.KTALK_SPACE || undefined;
  const ktalkApiKey = env.KTALK_API_KEY || undefined;
  let ktalkApiUrl = env.KTALK_API_URL || (ktalkSpace ? `https://${ktalkSpace}.ktalk.ru/api` : undefined);
  if (provider === 'ktalk') {
    if (!ktalkSpace) problems.push('KTALK_SPACE: required with MEETINGS_PROVIDER=ktalk (your space: https://{space}.ktalk.ru)');
    if (!ktalkApiKey) problems.push('KTALK_API_KEY: required with MEETINGS_PROVIDER=ktalk (Talk API key, sent as X-Auth-Token)');
  }
  if (ktalkApiUrl) {
    try {
      ktalkApiUrl = new URL(ktalkApiUrl).toString().replace(/\/$/, '');
    } catch {
      problems.push(`KTALK_API_URL=${JSON.stringify(ktalkApiUrl)}: expected a URL like https://space.ktalk.ru/api`);
    }
  }
  const origins = str('MEETINGS_ALLOWED_ORIGINS', '*')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    path,
    token: env.MEETINGS_TOKEN || undefined,
    provider: provider === 'ktalk' ? 'ktalk' : 'mock',
    ktalkSpace,
    ktalkApiUrl,
    ktalkApiKey,
    allowedOrigins: origins.length ? origins : ['*'],
    rateLimit: int('MEETINGS_RATE_LIMIT', 1, 1, 10_000),
  };
}
