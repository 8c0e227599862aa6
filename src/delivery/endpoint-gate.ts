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
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { processTag } from '../ids.js';
import { ASYNC_COMMIT } from '../store/leases.js';
import { RATE_WINDOW_MS } from './lanes.js';
import { CONNECT_TIMEOUT_MS } from './sender.js';

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

/**
 * A slot's lease outlives the request's deadline by this: the connection's own limit (the
 * webhook's timeout starts only once connected) and 5 s more. A shorter lease ran out while
 * a request still waited for its handshake, freeing its slot and rate count mid-send.
 */
const LEASE_MARGIN_MS = CONNECT_TIMEOUT_MS + 5000;
/** How long to wait before asking again when every slot is taken. */
const BUSY_WAIT_MS = 10;


/**
 * Marks the sends counted until a window after they ended (the holder follows it). An
 * unmarked send is one stamped by a process not yet upgraded (a rolling upgrade): it counts
 * OLD_RATE_WINDOW_MS from its stamp, as that process expects (migration 011).
 */
const SENT_MARK = '~';
/** The window the previous version counted a send over, from its stamp. */
const OLD_RATE_WINDOW_MS = 1200;

// Sorted sets per webhook: in-flight leases scored by expiry, sends scored by when they stop
// counting against the rate. A send in flight is scored as if it ended when its lease
// does; RELEASE scores it by when it really ended, and it counts RATE_WINDOW_MS more
// (see RATE_WINDOW_MS); an unmarked send (SENT_MARK) counts OLD_RATE_WINDOW_MS from its
// stamp. The server's clock decides, so workers' clocks need not agree.
const ACQUIRE = `
-- A key lives as long as its longest entry: a shorter lease (a webhook's timeout lowered
-- while an older send is out) never cuts it short.
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return ${BUSY_WAIT_MS} end
local rate = tonumber(ARGV[4])
if rate > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ${OLD_RATE_WINDOW_MS})
  -- Ended more than a window ago: only an old process's stamp (unmarked) still counts.
  -- (Only this band is read, so an acquire stays cheap at high rates.)
  local band = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ${RATE_WINDOW_MS})
  for i = 1, #band do
    if string.sub(band[i], 1, 1) == '${SENT_MARK}' then redis.call('ZREM', KEYS[2], band[i]) end
  end
  if redis.call('ZCARD', KEYS[2]) >= rate then
    -- When the oldest stops counting (mid-upgrade a marked send behind an old stamp may free
    -- up to 190 ms sooner: the worker asks again then, no later than a window).
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local till = tonumber(oldest[2]) + (string.sub(oldest[1], 1, 1) == '${SENT_MARK}' and ${RATE_WINDOW_MS} or ${OLD_RATE_WINDOW_MS})
    return math.min(${RATE_WINDOW_MS}, math.max(1, till - now))
  end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), '${SENT_MARK}' .. ARGV[1])
  extend(KEYS[2], tonumber(ARGV[2]) + ${RATE_WINDOW_MS * 2})
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
extend(KEYS[1], tonumber(ARGV[2]) + 1000)
return 0`;

const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', now, '${SENT_MARK}' .. ARGV[1])
return 0`;

/**
 * The gate over Redis. ioredis is loaded here, only where REDIS_URL is set: loaded at start-up
 * by every process, it cost 90 ms and a few MB of resident memory (18 MB loaded alone; an idle
 * server's high-water mark about 5 MB) to servers that never use it (SQLite, or PostgreSQL
 * without Redis).
 */
export async function redisGate(url: string, logger: Logger): Promise<EndpointGate> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis (endpoint limits) error'));
  redis.defineCommand('hbAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  redis.defineCommand('hbRelease', { numberOfKeys: 2, lua: RELEASE });
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
      await (redis as unknown as { hbRelease(...a: string[]): Promise<number> }).hbRelease(...keys(id), holder);
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * The same, in PostgreSQL. A slot per request would cost two round trips per delivery
 * (take, give back), which on one database was most of a worker's time. So a process
 * holds its slots at an endpoint as one block (`hookbridge_endpoint_grant`, migration
 * 008): taking and giving back a slot is local while the block has room; the block grows
 * when the lane needs more, shrinks when it needs fewer, keeps no more than a fair share
 * while another process waits, and is a lease renewed while held. Rate-limited webhooks
 * take a slot per request (`hookbridge_endpoint_take_marked`, migration 011), since every send
 * must be counted in the shared window; their rate bounds those round trips anyway.
 *
 * Both functions commit without waiting for the WAL flush (ASYNC_COMMIT, as the queue's
 * lease statements do): they hold a per-webhook advisory lock until the commit,
 * and a flush each would serialise an endpoint's sends behind the disk. Other sessions
 * see the commit at once all the same; a database crash could lose a few slot leases,
 * which expire anyway.
 */
export function postgresGate(db: Kysely<any>, opts: { tag?: string; refreshMs?: number } = {}): EndpointGate {
  const tag = opts.tag ?? processTag();
  const refreshMs = opts.refreshMs ?? 250;
  const blocks = new Map<string, SlotBlock>();
  const perRequest = new Set<string>();

  /**
   * Asks for `want` slots. Until the answer comes, slots may still be taken up to the
   * block's current grant, so the row is told that many are held (or more, if more are in
   * use): it never records fewer than may be in use. A smaller grant thus shows in the row
   * one round trip later. Resolves to what the row was told.
   */
  const grant = async (b: SlotBlock, want: number): Promise<number> => {
    const held = Math.max(b.inUse, b.granted);
    const r = await sql<{ granted: number }>`with ${ASYNC_COMMIT} select hookbridge_endpoint_grant(${b.limits.id}, ${tag}, ${want}, ${held}, ${b.limits.timeout + LEASE_MARGIN_MS}, ${b.limits.maxConcurrency}) as granted from async`.execute(db);
    b.granted = Number(r.rows[0]!.granted);
    b.wanted = want;
    b.renewedAt = Date.now();
    return held;
  };
  /** One round trip at a time per block; callers arriving meanwhile share it. */
  const refresh = (b: SlotBlock, want: number): Promise<number> => {
    b.refreshing ??= grant(b, want).finally(() => (b.refreshing = undefined));
    return b.refreshing;
  };

  // Shrink blocks to what their lanes used since the last look, renew their leases, give
  // back the ones no longer used, and let a block that used all it has hear whether others
  // wait (the grant then keeps it to its fair share).
  const timer = setInterval(() => {
    for (const [id, b] of blocks) {
      const want = Math.min(b.limits.maxConcurrency, Math.max(b.peak, b.inUse + b.waiting));
      const full = b.granted > 0 && b.peak >= b.granted;
      b.peak = b.inUse + b.waiting;
      const stale = Date.now() - b.renewedAt > (b.limits.timeout + LEASE_MARGIN_MS) / 3;
      // (An idle block is asked down to 0 twice: the first answer drops its grant, the
      // second, told that nothing is held, deletes its row.)
      if (want !== b.wanted || b.inUse > b.granted || full || stale || (want === 0 && b.granted === 0)) {
        refresh(b, want).then(
          // Forgotten only once its row is gone and nothing came for it meanwhile.
          (held) => held === 0 && want === 0 && b.inUse === 0 && b.waiting === 0 && blocks.get(id) === b && blocks.delete(id),
          () => undefined,
        );
      }
    }
  }, refreshMs);
  timer.unref();

  return {
    async acquire(w, holder) {
      if (w.rateLimit) {
        const r = await sql<{ wait: number }>`with ${ASYNC_COMMIT} select hookbridge_endpoint_take_marked(${w.id}, ${holder}, ${w.timeout + LEASE_MARGIN_MS}, ${w.maxConcurrency}, ${w.rateLimit}, ${RATE_WINDOW_MS}) as wait from async`.execute(db);
        const wait = Number(r.rows[0]!.wait);
        if (wait === 0) perRequest.add(holder);
        return wait;
      }
      let b = blocks.get(w.id);
      if (!b) blocks.set(w.id, (b = new SlotBlock(w)));
      b.limits = w;
      if (b.inUse >= b.granted) {
        b.waiting++;
        try {
          // Doubling: a busy lane reaches its share in a few round trips, an idle one asks for little.
          await refresh(b, Math.min(w.maxConcurrency, 2 * (b.inUse + b.waiting)));
        } finally {
          b.waiting--;
        }
        if (b.inUse >= b.granted) return BUSY_WAIT_MS * 2;
      }
      b.inUse++;
      b.peak = Math.max(b.peak, b.inUse + b.waiting);
      return 0;
    },
    async release(id, holder) {
      if (perRequest.delete(holder)) {
        // The send counts a window from now, when it really ended (migration 011: its row is the marked holder).
        await sql`with ${ASYNC_COMMIT}, sent as (update endpoint_sends set sent_at = (extract(epoch from clock_timestamp()) * 1000)::bigint where webhook_id = ${id} and holder = ${SENT_MARK + holder} and exists (select 1 from async)) delete from endpoint_leases where webhook_id = ${id} and holder = ${holder} and exists (select 1 from async)`.execute(db);
        return;
      }
      const b = blocks.get(id);
      if (b) b.inUse = Math.max(0, b.inUse - 1);
    },
    async close() {
      clearInterval(timer);
      const held = [...blocks.keys()];
      blocks.clear();
      if (held.length) await sql`delete from endpoint_leases where holder = ${tag} and webhook_id in (${sql.join(held)})`.execute(db).catch(() => undefined);
    },
  };
}

/** One process's slots at one endpoint (see postgresGate). */
class SlotBlock {
  /** Slots this process may use now. */
  granted = 0;
  inUse = 0;
  /** Requests waiting for a slot here. */
  waiting = 0;
  /** The most slots used or waited for since the timer last looked. */
  peak = 0;
  wanted = 0;
  renewedAt = 0;
  refreshing: Promise<number> | undefined;
  constructor(public limits: GateLimits) {}
}
