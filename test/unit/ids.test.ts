/**
 * Ids sort by creation: by their millisecond first, and within one millisecond (of one
 * prefix, in one process) in the order they were made. A FIFO line breaks a tie in
 * creation time by delivery id; with a random tail, two publishes answered one after the
 * other in the same millisecond could go out in either order.
 */
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';

describe('newId', () => {
  it('ids made for one millisecond sort in the order they were made, none twice', () => {
    const t = Date.UTC(2026, 11, 2, 12, 0, 0, 123);
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? newId('att', t) && newId('dlv', t) : newId('dlv', t)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^dlv_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('a later millisecond sorts after an earlier one; the tail is random, not a counter from zero', () => {
    const a = newId('evt', 1_000_000);
    const b = newId('evt', 1_000_001);
    const c = newId('evt', 1_000_002);
    expect([c, a, b].sort()).toEqual([a, b, c]);
    // Fresh random digits each new millisecond: 16 digits of 0 would be a counter.
    const tails = new Set([a, b, c].map((id) => id.slice(-16)));
    expect(tails.size).toBe(3);
    expect([...tails].some((x) => x === '0'.repeat(16))).toBe(false);
  });

  it('counts on past a tail of all 31s without repeating or going backwards', () => {
    const t = 2_000_000;
    const ids: string[] = [];
    // Enough ids that the last digit rolls over many times.
    for (let i = 0; i < 2000; i++) ids.push(newId('job', t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('its first ten characters are the millisecond in Crockford base32, whichever times come in turn', () => {
    const decode = (id: string) => [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce((n, c) => n * 32 + '0123456789abcdefghjkmnpqrstvwxyz'.indexOf(c), 0);
    const times = [Date.UTC(2026, 11, 4, 10, 0, 0, 1), Date.UTC(2026, 11, 4, 10, 0, 0, 2), 0, 32 ** 10 - 1];
    // Each time again after another: the time's characters are made once per millisecond and must follow it.
    for (const t of [...times, ...[...times].reverse(), times[0]!, times[0]!]) {
      const id = newId('evt', t);
      expect(decode(id)).toBe(t);
      expect(id).toHaveLength(4 + 26);
    }
  });
});
