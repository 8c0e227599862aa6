/**
 * Cluster-wide endpoint limits: a webhook's `maxConcurrency` and `rateLimit` hold across
 * every worker together, not per process. Each request first takes a slot — through
 * Redis when REDIS_URL is set, else through PostgreSQL — and gives it back when it ends.
 * A slot is a lease (the webhook's timeout plus a margin), so a worker that dies frees
 * its share when the lease runs out. SQLite runs one process: its lanes suffice and it
 * takes no slots at all.
 *
 * The per-process lanes (lanes.ts) still apply first: one slow endpoint never holds
 * others, and a process never waits on the cluster for more than its own share.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Redis } from 'ioredis';

export interface GateLimits {
  id: string;
  maxConcurrency: number;
  rateLimit: number | null;
  /** The request's deadline (ms): the lease outlives it by a margin. */
  timeout: number;
}

export interface EndpointGate {
  /** 0: the slot is taken (release it); otherwise the ms to wait before asking again. */
  acquire(w: GateLimits, holder: string): Promise<number>;
  release(webhookId: string, holder: string): Promise<void>;
  close(): Promise<void>;
}

/** The rate window, a little over a second: arrival jitter at the receiver must not squeeze N+1 sends into one second. */
export const RATE_WINDOW_MS = 1100;
const LEASE_MARGIN_MS = 5000;
/** How long to wait before asking again when every slot is taken. */
const BUSY_WAIT_MS = 10;

/** A holder id unique to this process; a request appends its own part. */
export const processTag = () => `${process.pid}.${randomBytes(4).toString('hex')}`;

// Sorted sets per webhook: in-flight leases scored by expiry, sends scored by time.
// The server's clock decides, so workers' clocks need not agree.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return ${BUSY_WAIT_MS} end
local rate = tonumber(ARGV[4])
if rate > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ${RATE_WINDOW_MS})
  if redis.call('ZCARD', KEYS[2]) >= rate then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + ${RATE_WINDOW_MS} - now)
  end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ${RATE_WINDOW_MS * 2})
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
return 0`;

export function redisGate(url: string, logger: Logger): EndpointGate {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis (endpoint limits) error'));
  redis.defineCommand('hbAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  const keys = (id: string) => [`hookbridge:ep:${id}:inflight`, `hookbridge:ep:${id}:sent`];
  return {
    async acquire(w, holder) {
      const [inflight, sent] = keys(w.id);
      const r = await (redis as unknown as { hbAcquire(...a: (string | number)[]): Promise<number> }).hbAcquire(
        inflight,
        sent,
        holder,
        w.timeout + LEASE_MARGIN_MS,
        w.maxConcurrency,
        w.rateLimit ?? 0,
      );
      return Number(r);
    },
    async release(id, holder) {
      await redis.zrem(keys(id)[0], holder);
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * The same, in PostgreSQL: one call of `hookbridge_endpoint_acquire` (migration 007) per
 * acquire, serialised per webhook by an advisory lock; same window and busy wait as above.
 */
export function postgresGate(db: Kysely<any>): EndpointGate {
  return {
    async acquire(w, holder) {
      const r = await sql<{ wait: number }>`select hookbridge_endpoint_acquire(${w.id}, ${holder}, ${w.timeout + LEASE_MARGIN_MS}, ${w.maxConcurrency}, ${w.rateLimit ?? 0}) as wait`.execute(db);
      return Number(r.rows[0]!.wait);
    },
    async release(id, holder) {
      await db.deleteFrom('endpoint_leases').where('webhook_id', '=', id).where('holder', '=', holder).execute();
    },
    async close() {},
  };
}
