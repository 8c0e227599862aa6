/**
 * SQLite WAL checkpoints off the event loop. An automatic checkpoint runs inside
 * whichever commit crosses the threshold and stalls that process for 10–20 ms — the
 * whole p99 of publish latency in the benchmark. Here a worker thread with its own
 * connection runs PASSIVE checkpoints (they never block writers) every
 * CHECKPOINT_EVERY_MS, and the main connection's automatic checkpoints are turned off. If
 * the thread dies, the main connection checkpoints for itself again.
 *
 * Often, and so small: a checkpoint first syncs the WAL to disk, then the database file.
 * While those syncs run, this process's own writes to the WAL (a commit's `pwrite`s, made on
 * the event loop) can wait in the file system (ext4 here: 9–14 ms for one 4 KiB write, seen
 * with strace). Once a second, each sync carried a second's frames (about 21 MB at 500
 * publishes a second) and the event loop stood still for 20–31 ms at such moments, which
 * made the publish p99. At 250 ms each sync carries a quarter of that, and the stalls
 * were 14 ms at most (bench accept section, alternating runs; see the Performance section).
 *
 * A PASSIVE checkpoint copies the frames that were in the WAL when it began; the WAL
 * only starts over from its beginning when a write begins with every frame copied. Under
 * steady writes that moment never comes (a commit lands during every checkpoint), and
 * the WAL grew by the size of every commit: 13 MB a second at 300 publishes a second,
 * for as long as the load lasted. So once the WAL holds more than `maxWalBytes`, the
 * thread asks the main thread for a quiet moment: the main thread takes its connection
 * (`quiet`: no write of its own starts meanwhile, the event loop keeps running), the
 * thread copies what is left and restarts the WAL (RESTART), and the connection is given
 * back: the writes of those few milliseconds wait, none is refused.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type SQLite from 'better-sqlite3';
import { waitAtMost } from '../core/timeout.js';

// Inline (eval) worker: it must also run where the sources are TypeScript (tests).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('cache_size = -512');
const pageSize = db.pragma('page_size', { simple: true });
let waiting = false;
let skip = 0;
let failures = 0;
let lastLog = -1;
const timer = setInterval(() => {
  if (waiting) return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (skip > 0) skip--;
    // Nothing written since the last tick and all of it copied: the next write restarts the
    // WAL by itself (after a burst, or after our own restart), no quiet moment needed.
    else if (r.log * pageSize > workerData.maxWalBytes && !(r.log === lastLog && r.checkpointed === r.log)) { waiting = true; parentPort.postMessage({ type: 'quiet?' }); }
    lastLog = r.log;
  } catch (err) { parentPort.postMessage({ type: 'error', message: String(err && err.message || err) }); }
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'quiet') {
    let restarted = false;
    try {
      // Short: only another process's reader or writer could hold us up here.
      db.pragma('busy_timeout = 100');
      const [r] = db.pragma('wal_checkpoint(RESTART)');
      restarted = r.busy === 0;
    } catch (err) {
      parentPort.postMessage({ type: 'error', message: String(err && err.message || err) });
    } finally {
      db.pragma('busy_timeout = 1000');
    }
    // Another process kept the WAL busy: back off (ticks) before asking for quiet again.
    failures = restarted ? 0 : failures + 1;
    skip = restarted ? 0 : Math.min(60, 2 ** failures);
    waiting = false;
    parentPort.postMessage({ type: 'done', restarted });
  } else if (m === 'stop') { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); }
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  /** How often the thread checkpoints. Default: CHECKPOINT_EVERY_MS */
  everyMs?: number;
  /** Past this, the WAL is copied and restarted in a quiet moment. */
  maxWalBytes: number;
  /** Holds the main connection (no write of this process starts) until the returned function is called. */
  quiet(): Promise<() => void>;
}

/** How often the thread checkpoints by default (see above for why not once a second). */
const CHECKPOINT_EVERY_MS = 250;

/** How long the main connection is held for a restart at most, whatever the thread does. */
const QUIET_MAX_MS = 2000;

export function startCheckpointer(sqlite: SQLite.Database, file: string, onError: (msg: string) => void, opts: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const workerData = { driver, file, everyMs: opts.everyMs ?? CHECKPOINT_EVERY_MS, maxWalBytes: opts.maxWalBytes };
  // The thread only runs a pragma a few times a second: a small heap of its own (its default
  // young generation alone could grow to tens of MB of resident memory).
  const worker = new Worker(WORKER, { eval: true, workerData, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 } });
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  /** Gives the main connection back after a restart (or when the thread is gone). */
  let giveBack: (() => void) | undefined;
  const release = () => {
    const give = giveBack;
    giveBack = undefined;
    give?.();
  };
  const fallback = (why: string) => {
    release();
    if (stopped) return;
    onError(why);
    // Without the thread, the WAL must not grow without bound: checkpoint inline again.
    sqlite.pragma('wal_autocheckpoint = 1000');
  };
  worker.on('message', (m: { type: string; message?: string }) => {
    if (m.type === 'error') onError(`WAL checkpoint: ${m.message}`);
    else if (m.type === 'done') release();
    else if (m.type === 'quiet?' && !stopped) {
      void opts.quiet().then((give) => {
        if (stopped) return give();
        const timer = setTimeout(release, QUIET_MAX_MS);
        giveBack = () => (clearTimeout(timer), give());
        worker.postMessage('quiet');
      });
    }
  });
  worker.on('error', (err) => fallback(`WAL checkpoint thread failed: ${err.message}`));
  worker.on('exit', (code) => (code !== 0 ? fallback(`WAL checkpoint thread exited with ${code}`) : release()));
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      release();
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.postMessage('stop');
      await waitAtMost(2000, exited);
      await worker.terminate();
    },
  };
}
