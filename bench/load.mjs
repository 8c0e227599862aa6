/** Load generators and statistics for the benchmark. Every loop is capped by count and by time. */

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** The item with the median `key` (nearest rank: of an even count, the lower of the middle two). */
export const medianBy = (items, key = (x) => x) => percentile([...items].sort((a, b) => key(a) - key(b)), 50);

export function summarize(values) {
  const s = Float64Array.from(values).sort();
  if (!s.length) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  let sum = 0;
  for (const v of s) sum += v;
  const r = (v) => Math.round(v * 1000) / 1000;
  return { count: s.length, p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s[s.length - 1]), mean: r(sum / s.length) };
}

/**
 * Closed loop: `concurrency` workers each run `send(i)` back to back until `count`
 * calls were issued or `timeMs` passed. `send` resolves true on success.
 */
export async function closedLoop({ concurrency, count, timeMs, send }) {
  let issued = 0;
  let ok = 0;
  let failed = 0;
  let firstError;
  const started = now();
  const deadline = started + timeMs;
  const worker = async () => {
    while (issued < count && now() < deadline) {
      const i = issued++;
      try {
        if (await send(i)) ok++;
        else failed++;
      } catch (err) {
        failed++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = now() - started;
  return { issued, ok, failed, elapsedMs, perSecond: (ok / elapsedMs) * 1000, firstError: firstError && String(firstError) };
}

/**
 * Open loop: call `fire(i, scheduledAt)` at `rate` per second for `count` calls,
 * never waiting for earlier calls (their promises are collected). Stops early at
 * `timeMs`; then waits at most `settleMs` for the calls still in flight.
 */
export async function openLoop({ rate, count, timeMs, settleMs, fire }) {
  const interval = 1000 / rate;
  const started = now();
  const deadline = started + timeMs;
  const pending = new Set();
  const lags = [];
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      while (i < count && started + i * interval <= t) {
        const scheduled = started + i * interval;
        lags.push(now() - scheduled);
        const p = Promise.resolve(fire(i, scheduled)).catch(() => {});
        pending.add(p);
        p.finally(() => pending.delete(p));
        i++;
      }
      if (i >= count || t >= deadline) return resolve();
      setTimeout(tick, Math.max(0, started + i * interval - now() - 0.5));
    };
    tick();
  });
  const sentMs = now() - started;
  await Promise.race([Promise.all(pending), sleep(settleMs)]);
  return { fired: i, sentMs, stillPending: pending.size, scheduleLagMs: summarize(lags) };
}
