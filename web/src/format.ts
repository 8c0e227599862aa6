/** Display helpers: dates in the reader's locale, rates, durations. */
export const fmtTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
export const fmtRate = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 1)} %`);
/** `1 delivery`, `2 deliveries`: `many` when the plural is not `one` + s. */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const fmtMs = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const fmtSeconds = (s: number | null | undefined) => {
  if (s === null || s === undefined) return '—';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
};
export const pretty = (v: unknown) => (typeof v === 'string' ? prettyText(v) : JSON.stringify(v, null, 2));

/** A JSON body shown indented; anything else as it came. */
function prettyText(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

/** `datetime-local` value (local time) → ISO; '' → undefined. */
export const localToIso = (v: string) => (v ? new Date(v).toISOString() : undefined);
/** ISO (or ms) → a `datetime-local` value in local time. */
export function isoToLocal(t: string | number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
