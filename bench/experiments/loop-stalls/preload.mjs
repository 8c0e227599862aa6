/**
 * A preload for the bench's Hookbridge children that writes down when their event loop stood
 * still, and what happened around it: garbage collections, and the SQLite checkpoint thread
 * asking for (and ending) its quiet moment. This is how the 20–31 ms stalls behind the WAL
 * checkpoint's syncs were found (docs/performance-history.md, session 26).
 *
 *   BENCH_NODE_ARGS=--import=$PWD/bench/experiments/loop-stalls/preload.mjs \
 *   LOOP_STALLS_FILE=/tmp/stalls.log BENCH_ONLY=accept BENCH_DATABASES=sqlite BENCH_ROUNDS=1 node bench/run.mjs
 *
 * One line per finding: epoch ms, pid, what. LOOP_STALLS_MS (default 8): the smallest gap
 * written down, timed by a 1 ms interval timer (so a gap includes up to a millisecond of the
 * timer's own lateness); collections from 3 ms.
 */
import fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const file = process.env.LOOP_STALLS_FILE || '/tmp/loop-stalls.log';
const minGap = Number(process.env.LOOP_STALLS_MS || 8);
const note = (what) => fs.appendFileSync(file, `${Date.now()} ${process.pid} ${what}\n`);

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration >= 3) note(`gc kind=${e.detail?.kind} ${e.duration.toFixed(1)} ms`);
}).observe({ entryTypes: ['gc'] });

// The checkpoint thread's quiet moment (src/store/checkpointer.ts): the main thread posts 'quiet' to it.
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (message, ...rest) {
  if (message === 'quiet') {
    note('checkpoint: quiet moment begins');
    this.once('message', (m) => note(`checkpoint: quiet moment ends ${JSON.stringify(m)}`));
  }
  return post.call(this, message, ...rest);
};

let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last >= minGap) note(`loop stood still ${(now - last).toFixed(1)} ms`);
  last = now;
}, 1).unref();
