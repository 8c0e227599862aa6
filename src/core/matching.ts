/**
 * Which webhooks an event goes to. Patterns are catalog names, prefix wildcards
 * (`message.*`, `trust.identity.*`) or `*`.
 */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

/** Names in `patterns` that match nothing in the catalog. */
export function unknownPatterns(patterns: string[], catalog: string[]): string[] {
  return patterns.filter((p) => !catalog.some((name) => patternMatches(p, name)));
}

export interface MatchTarget {
  events: string[];
  spaces: string[];
  channels: string[];
  filter: Record<string, unknown> | null;
}

export interface MatchEvent {
  type: string;
  space?: string | null;
  channels?: string[];
  data: unknown;
}

/**
 * A webhook with a `spaces` (or `channels`) filter gets only events from those spaces
 * (channels); a webhook without one gets every matching event. `filter` compares
 * dotted paths into `data` for equality.
 */
export function webhookMatches(w: MatchTarget, e: MatchEvent): boolean {
  if (!w.events.some((p) => patternMatches(p, e.type))) return false;
  if (w.spaces.length && !(e.space && w.spaces.includes(e.space))) return false;
  if (w.channels.length && !(e.channels ?? []).some((c) => w.channels.includes(c))) return false;
  if (w.filter) {
    for (const [path, expected] of Object.entries(w.filter)) {
      if (!deepEqual(getPath(e.data, path), expected)) return false;
    }
  }
  return true;
}

/** `a.b.0.c` (an optional leading `$.` or `data.` is ignored) into a JSON value. */
export function getPath(root: unknown, path: string): unknown {
  return readPath(root, path.replace(/^\$\.?/, '').replace(/^data\./, '').split('.').filter(Boolean));
}

/**
 * The value `segments` lead to inside a JSON value: an object's own property, or an
 * array's element by index (never a prototype's property, nor an array's `length`).
 * Undefined when a step is missing. The one path reader of filters, templates and dedupe.
 */
export function readPath(root: unknown, segments: readonly string[]): unknown {
  let cur = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
