/**
 * Reading settings from an environment map. Every bad value is collected in
 * `problems` (each naming its variable), so start-up can list them all at once.
 * Pure: the caller hands in the map (config.ts is the only reader of `process.env`).
 */
export type Env = Record<string, string | undefined>;

export interface EnvReader {
  readonly env: Env;
  readonly problems: string[];
  /** The value, or `d` when unset or empty. */
  str(k: string, d: string): string;
  /** The value, or undefined when unset or empty. */
  opt(k: string): string | undefined;
  int(k: string, d: number, min: number, max: number): number;
  bool(k: string, d: boolean): boolean;
  oneOf<T extends string>(k: string, d: T, allowed: readonly T[]): T;
  /** A comma-separated list (trimmed, empties dropped), or `d` when unset. */
  list(k: string, d: string[]): string[];
  /** An absolute http(s) URL without a trailing slash, or undefined when unset. */
  url(k: string, example: string): string | undefined;
  /** An absolute URL path such as /okdesk-webhook. */
  path(k: string, d: string): string;
}

export function envReader(env: Env, problems: string[] = []): EnvReader {
  const opt = (k: string) => {
    const v = env[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const str = (k: string, d: string) => opt(k) ?? d;
  return {
    env,
    problems,
    str,
    opt,
    int(k, d, min, max) {
      const raw = opt(k);
      if (raw === undefined) return d;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) {
        problems.push(`${k}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
        return d;
      }
      return n;
    },
    bool(k, d) {
      const raw = opt(k);
      if (raw === undefined) return d;
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      problems.push(`${k}=${JSON.stringify(raw)}: expected true or false`);
      return d;
    },
    oneOf(k, d, allowed) {
      const raw = str(k, d);
      if (!(allowed as readonly string[]).includes(raw)) {
        problems.push(`${k}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
        return d;
      }
      return raw as typeof d;
    },
    list(k, d) {
      const raw = opt(k);
      if (raw === undefined) return d;
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      return items.length ? items : d;
    },
    url(k, example) {
      const raw = opt(k);
      if (raw === undefined) return undefined;
      try {
        const u = new URL(raw);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
        return u.toString().replace(/\/+$/, '');
      } catch {
        problems.push(`${k}=${JSON.stringify(raw)}: expected a URL like ${example}`);
        return undefined;
      }
    },
    path(k, d) {
      const p = str(k, d);
      if (!/^\/[A-Za-z0-9/_.~-]*$/.test(p)) {
        problems.push(`${k}=${JSON.stringify(p)}: expected an absolute URL path like ${d}`);
        return d;
      }
      return p;
    },
  };
}
