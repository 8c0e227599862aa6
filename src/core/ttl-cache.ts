/**
 * A small positive-hit cache with a time limit, for lookups on the publish hot path
 * (tokens, event types). Only hits are cached, so something created is seen at once;
 * something deleted is forgotten at once in this process and within `ttlMs` elsewhere.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
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
    this.map.delete(key);
  }

  /** Drops every entry whose value matches (e.g. a deleted token's id). */
  deleteWhere(pred: (v: V, key: string) => boolean): void {
    for (const [k, e] of this.map) if (pred(e.value, k)) this.map.delete(k);
  }

  /**
   * The values of `keys`: cached ones as they are, the rest from `load` (which returns
   * what it found, keyed), remembered for next time.
   */
  async many(keys: string[], load: (missing: string[]) => Promise<Map<string, V>>, now = Date.now()): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    for (const k of keys) {
      const v = this.get(k, now);
      if (v === undefined) missing.push(k);
      else out.set(k, v);
    }
    if (missing.length) {
      for (const [k, v] of await load(missing)) {
        this.set(k, v, now);
        out.set(k, v);
      }
    }
    return out;
  }
}
