/**
 * The settings cache never keeps a value read before a change that dropped it. The worker
 * re-reads a webhook before each send; if that read was in flight while the webhook's secret
 * was rotated, keeping what it read would sign with the old secret for a whole second after
 * the rotation was answered.
 */
import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../src/core/ttl-cache.js';

/** A load that answers when told to, counting its calls. */
function gatedLoad(values: string[]) {
  const gates: Array<() => void> = [];
  let calls = 0;
  const load = async (keys: string[]) => {
    const v = values[Math.min(calls++, values.length - 1)]!;
    await new Promise<void>((r) => gates.push(r));
    return new Map(keys.map((k) => [k, v]));
  };
  return { load, open: () => gates.shift()?.(), calls: () => calls };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('TtlCache', () => {
  it('a read in flight while its entry is dropped is made again, and the new value is kept', async () => {
    const cache = new TtlCache<string>(60_000);
    const g = gatedLoad(['old', 'new']);
    const pending = cache.many(['wh_1'], g.load);
    await tick();
    cache.delete('wh_1'); // the change was written meanwhile
    g.open();
    await tick();
    expect(g.calls()).toBe(2);
    g.open();
    expect((await pending).get('wh_1')).toBe('new');
    expect(cache.get('wh_1')).toBe('new');
  });

  it('a read with no drop meanwhile is read once and kept', async () => {
    const cache = new TtlCache<string>(60_000);
    const g = gatedLoad(['v']);
    const pending = cache.many(['a', 'b'], g.load);
    await tick();
    g.open();
    expect([...(await pending).values()]).toEqual(['v', 'v']);
    expect(g.calls()).toBe(1);
    expect(cache.get('a')).toBe('v');
  });

  it('when drops keep coming, the third read answers and nothing is kept', async () => {
    const cache = new TtlCache<string>(60_000);
    const g = gatedLoad(['r1', 'r2', 'r3']);
    const pending = cache.one('k', async () => (await g.load(['k'])).get('k'));
    for (let i = 0; i < 3; i++) {
      await tick();
      cache.delete('other');
      g.open();
    }
    expect(await pending).toBe('r3');
    expect(g.calls()).toBe(3);
    expect(cache.get('k')).toBeUndefined();
  });

  it('one(): a hit does not load; a miss that finds nothing is not kept', async () => {
    const cache = new TtlCache<string>(60_000);
    cache.set('k', 'cached');
    let loads = 0;
    expect(await cache.one('k', async () => (loads++, 'loaded'))).toBe('cached');
    expect(await cache.one('none', async () => (loads++, undefined))).toBeUndefined();
    expect(await cache.one('none', async () => (loads++, 'now there'))).toBe('now there');
    expect(loads).toBe(2);
  });

  it('callers that miss a key being read wait for that read instead of reading it again', async () => {
    const cache = new TtlCache<string>(60_000);
    const g = gatedLoad(['v']);
    const first = cache.many(['a', 'b'], g.load);
    await tick();
    const others = [cache.one('a', async () => (await g.load(['a'])).get('a')), cache.many(['b', 'a'], g.load)];
    await tick();
    expect(g.calls()).toBe(1);
    g.open();
    expect([...(await first).entries()]).toEqual([['a', 'v'], ['b', 'v']]);
    expect(await others[0]).toBe('v');
    expect([...((await others[1]) as Map<string, string>).entries()].sort()).toEqual([['a', 'v'], ['b', 'v']]);
    expect(g.calls()).toBe(1);
  });

  it('a caller waiting on a read sees the value read again after a drop, and a key not found stays unfound', async () => {
    const cache = new TtlCache<string>(60_000);
    const g = gatedLoad(['old', 'new']);
    const first = cache.many(['wh_1'], g.load);
    await tick();
    const waiter = cache.many(['wh_1'], g.load);
    cache.delete('wh_1');
    g.open();
    await tick();
    g.open();
    expect((await first).get('wh_1')).toBe('new');
    expect((await waiter).get('wh_1')).toBe('new');
    expect(g.calls()).toBe(2);

    const none = new TtlCache<string>(60_000);
    const misses = await Promise.all([none.one('x', async () => undefined), none.one('x', async () => undefined)]);
    expect(misses).toEqual([undefined, undefined]);
  });

  it('a failed read fails its waiters too, and the next call reads again', async () => {
    const cache = new TtlCache<string>(60_000);
    let calls = 0;
    const failing = async () => {
      calls++;
      await tick();
      throw new Error('database unreachable');
    };
    const results = await Promise.allSettled([cache.many(['k'], failing), cache.many(['k'], failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(await cache.one('k', async () => 'back')).toBe('back');
  });
});
