/**
 * SQLite WAL checkpoints off the event loop. An automatic checkpoint runs inside
 * whichever commit crosses the threshold and stalls that process for 10–20 ms — the
 * whole p99 of publish latency in the benchmark. Here a worker thread with its own
 * connection runs PASSIVE checkpoints (they never block writers) once a second, and
 * the main connection's automatic checkpoints are turned off. If the thread dies, the
 * main connection checkpoints for itself again.
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
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err && err.message || err)); }
}, workerData.everyMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); } });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(sqlite: SQLite.Database, file: string, onError: (msg: string) => void, everyMs = 1000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // The thread only runs a pragma once a second: a small heap of its own (its default
  // young generation alone could grow to tens of MB of resident memory).
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, everyMs }, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 } });
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  const fallback = (why: string) => {
    if (stopped) return;
    onError(why);
    // Without the thread, the WAL must not grow without bound: checkpoint inline again.
    sqlite.pragma('wal_autocheckpoint = 1000');
  };
  worker.on('message', (m) => onError(`WAL checkpoint: ${m}`));
  worker.on('error', (err) => fallback(`WAL checkpoint thread failed: ${err.message}`));
  worker.on('exit', (code) => code !== 0 && fallback(`WAL checkpoint thread exited with ${code}`));
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.postMessage('stop');
      await waitAtMost(2000, exited);
      await worker.terminate();
    },
  };
}
