/** Time buckets for the statistics charts: success rate and latency percentiles over time. Pure. */
import { summarize } from './stats.js';

export interface SeriesPoint {
  /** Start of the bucket (ISO); the bucket runs to the next point's start. */
  start: string;
  total: number;
  successful: number;
  failed: number;
  /** successful / (successful + failed), 3 decimals; null when nothing finished in the bucket. */
  successRate: number | null;
  /** Attempts that got a response in the bucket. */
  attempts: number;
  /** ms over those attempts; null when there were none. */
  responseTimes: { average: number; p50: number; p95: number; p99: number } | null;
}

/**
 * Splits [from, to) into `count` equal buckets of whole milliseconds (fewer when the window
 * has fewer milliseconds, or when rounding up leaves the last ones past its end): deliveries
 * by their creation time and status, attempts by their time and duration. Every point starts
 * inside the window.
 */
export function bucketSeries(
  from: number,
  to: number,
  count: number,
  deliveries: ReadonlyArray<{ at: number; status: string }>,
  attempts: ReadonlyArray<{ at: number; ms: number }>,
): { bucketMs: number; points: SeriesPoint[] } {
  const bucketMs = Math.max(1, Math.ceil((to - from) / count));
  count = Math.min(count, Math.ceil((to - from) / bucketMs));
  const index = (at: number) => (at < from || at >= to ? -1 : Math.min(count - 1, Math.floor((at - from) / bucketMs)));
  const tally = Array.from({ length: count }, () => ({ total: 0, successful: 0, failed: 0, times: [] as number[] }));
  for (const d of deliveries) {
    const i = index(d.at);
    if (i < 0) continue;
    tally[i].total++;
    if (d.status === 'delivered') tally[i].successful++;
    else if (d.status === 'failed') tally[i].failed++;
  }
  for (const a of attempts) {
    const i = index(a.at);
    if (i >= 0) tally[i].times.push(a.ms);
  }
  const points = tally.map((t, i): SeriesPoint => {
    const finished = t.successful + t.failed;
    return {
      start: new Date(from + i * bucketMs).toISOString(),
      total: t.total,
      successful: t.successful,
      failed: t.failed,
      successRate: finished ? Math.round((t.successful / finished) * 1000) / 1000 : null,
      attempts: t.times.length,
      responseTimes: t.times.length ? summarize(t.times) : null,
    };
  });
  return { bucketMs, points };
}
