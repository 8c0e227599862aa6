/** Small pure helpers for the stats endpoint. */

/** Nearest-rank percentile of `values` (any order); 0 for none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const avg = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return { average: Math.round(avg), p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** ISO time without milliseconds when they are zero, as seed 001 prints it (`2024-01-01T00:00:00Z`). */
export function isoSeconds(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** `2024-01-01`, or an ISO date-time (`2024-01-01T12:00:00Z`, with seconds, fractions or an offset optional). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** A date-time that names its zone (`Z`, `+05:00`, `-0300`). */
const ZONED = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
/** The last moment of year 9999: later ones, and any before 1970, are no period of this server's data. */
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A date (`2024-01-01`, midnight UTC) or an ISO date-time (UTC when it names no zone); undefined when it is not one,
 * is not on the calendar (`2026-02-30`), or lies outside 1970–9999 (so that a default
 * window before it, 24 h earlier, is still a date).
 */
export function parseDate(v: string | undefined): number | undefined {
  if (!v || !ISO_DATE.test(v) || !onCalendar(v)) return undefined;
  // A date-time without Z or an offset is UTC too, as a date is: not the server's local time.
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : ZONED.test(v) ? v : `${v}Z`);
  return Number.isNaN(t) || t < 0 || t > LATEST ? undefined : t;
}

/** Whether the `YYYY-MM-DD` that starts `v` is a real day: Date.parse rolls 2026-02-30 over to March 2. */
function onCalendar(v: string): boolean {
  const [year, month, day] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10)].map(Number);
  // Day 0 of the next month is the last of this one. (Date.UTC reads years 0–99 as 19xx; they are refused as before 1970 anyway.)
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
