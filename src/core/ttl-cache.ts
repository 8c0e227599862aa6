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
  /** Keys being read now, each with its value to come (undefined: not found). */
  private readonly loading = new Map<string, Promise<V | undefined>>();
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
   * A key already being loaded is not loaded again: its callers wait for that one read
   * (when an entry ran out under load, every request in flight missed it at once, and each
   * read it on a connection of its own).
   */
  async many(keys: string[], load: (missing: string[]) => Promise<Map<string, V>>, now = Date.now()): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    let waits: [string, Promise<V | undefined>][] | undefined;
    for (const k of keys) {
      const v = this.get(k, now);
      if (v !== undefined) out.set(k, v);
      else {
        const loading = this.loading.get(k);
        if (loading) (waits ??= []).push([k, loading]);
        else missing.push(k);
      }
    }
    if (missing.length) {
      const loaded = this.load(missing, load, now);
      const mine = new Map(missing.map((k) => [k, loaded.then((found) => found.get(k))]));
      for (const [k, p] of mine) {
        p.catch(() => {}); // its waiters see the error; unawaited, it is no unhandled rejection
        this.loading.set(k, p);
      }
      try {
        for (const [k, v] of await loaded) out.set(k, v);
      } finally {
        for (const [k, p] of mine) if (this.loading.get(k) === p) this.loading.delete(k);
      }
    }
    if (waits) {
      for (const [k, p] of waits) {
        const v = await p;
        if (v !== undefined) out.set(k, v);
      }
    }
    return out;
  }

  /** Reads `missing`; keeps what it found unless something was dropped meanwhile. */
  private async load(missing: string[], load: (missing: string[]) => Promise<Map<string, V>>, now: number): Promise<Map<string, V>> {
    for (let tries = 1; ; tries++) {
      const drops = this.drops;
      const found = await load(missing);
      // Something was dropped meanwhile: what was read may predate that change. Read again
      // (changes are rare, so this settles at once); if they keep coming, answer with the
      // last read without keeping it.
      if (this.drops !== drops && tries < 3) continue;
      if (this.drops === drops) for (const [k, v] of found) this.set(k, v, now);
      return found;
    }
  }
}
