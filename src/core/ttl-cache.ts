/**
 * A small positive-hit cache with a time limit, for lookups on the publish hot path
 * (tokens, event types) and the worker's settings reads. Only hits are cached, so something
 * created is seen at once; something changed or deleted is dropped once the change is
 * written, so it applies at once in this process and within `ttlMs` elsewhere.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
  /**
   * Counts drops. A load that was in flight while an entry was dropped may have read the
   * value from before the change that dropped it: `many` reads again rather than keep it
   * (kept, it would be served for a whole `ttlMs` after the change was answered).
   */
  private drops = 0;
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, now = Date.now()): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, until: now + this.ttlMs });
  }

  delete(key: string): void {
    this.drops++;
    this.map.delete(key);
  }

  /** Drops every entry whose value matches (e.g. a deleted token's id). */
  deleteWhere(pred: (v: V, key: string) => boolean): void {
    this.drops++;
    for (const [k, e] of this.map) if (pred(e.value, k)) this.map.delete(k);
  }

  /** The value of `key`: cached, or from `load` (undefined: not found, not remembered). See `many`. */
  async one(key: string, load: () => Promise<V | undefined>, now = Date.now()): Promise<V | undefined> {
    const hit = this.get(key, now);
    if (hit !== undefined) return hit;
    const found = await this.many([key], async () => {
      const v = await load();
      return new Map(v === undefined ? [] : [[key, v]]);
    }, now);
    return found.get(key);
  }

  /**
   * The values of `keys`: cached ones as they are, the rest from `load` (which returns
   * what it found, keyed), remembered for next time. A change drops its entries after it
   * is written (a drop before the write would let a read in between keep the old value).
   */
  async many(keys: string[], load: (missing: string[]) => Promise<Map<string, V>>, now = Date.now()): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    for (const k of keys) {
      const v = this.get(k, now);
      if (v === undefined) missing.push(k);
      else out.set(k, v);
    }
    if (!missing.length) return out;
    for (let tries = 1; ; tries++) {
      const drops = this.drops;
      const found = await load(missing);
      // Something was dropped meanwhile: what was read may predate that change. Read again
      // (changes are rare, so this settles at once); if they keep coming, answer with the
      // last read without keeping it.
      if (this.drops !== drops && tries < 3) continue;
      const keep = this.drops === drops;
      for (const [k, v] of found) {
        if (keep) this.set(k, v, now);
        out.set(k, v);
      }
      return out;
    }
  }
}
