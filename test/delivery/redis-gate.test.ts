/**
 * The Redis endpoint gate's keys outlive every entry in them: a webhook whose timeout was
 * lowered while an older, longer send is still out must not cut the key's life short, or
 * that send's lease and rate count vanish with the key and the limits are exceeded.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisGate, type EndpointGate, type GateLimits } from '../../src/delivery/endpoint-gate.js';
import { REDIS, redisAnswers } from '../helpers/redis.js';

const up = await redisAnswers();
if (!up) {
  if (process.env.CI === 'true') throw new Error(`CI=true: Redis is required at ${REDIS}`);
  console.log(`[redis-gate test] skipped: nothing answers at ${REDIS}`);
}

(up ? describe : describe.skip)('Redis endpoint gate', () => {
  let gate: EndpointGate | undefined;
  beforeAll(async () => {
    gate = await redisGate(REDIS, pino({ level: 'silent' }));
  });
  const redis = up ? new Redis(REDIS) : undefined;
  afterAll(async () => {
    await gate?.close();
    redis?.disconnect();
  });

  it('a shorter lease taken later does not shorten the keys holding a longer one', async () => {
    // The gate's client queues nothing while it connects (as in production): wait for it.
    for (let i = 0; ; i++) {
      try {
        await gate!.release('wh_probe', 'probe');
        break;
      } catch (err) {
        if (i > 40) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const id = `wh_ttl_${Date.now()}`;
    const long: GateLimits = { id, maxConcurrency: 5, rateLimit: 10, timeout: 60_000 };
    expect(await gate!.acquire(long, 'long-send')).toBe(0);
    // The webhook's timeout is lowered; a new send takes a slot while the long one is out.
    expect(await gate!.acquire({ ...long, timeout: 100 }, 'short-send')).toBe(0);
    const inflight = await redis!.pttl(`hookbridge:ep:${id}:inflight`);
    const sent = await redis!.pttl(`hookbridge:ep:${id}:sent`);
    // The long send's lease runs 60 s and more from its acquire.
    expect(inflight).toBeGreaterThan(60_000);
    expect(sent).toBeGreaterThan(60_000);
    await gate!.release(id, 'long-send');
    await gate!.release(id, 'short-send');
    await redis!.del(`hookbridge:ep:${id}:inflight`, `hookbridge:ep:${id}:sent`);
  });
});
