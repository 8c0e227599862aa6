/** The `thread` mode's writer: owns the connection, group-commits the steps that arrive together. */
import { parentPort, workerData } from 'node:worker_threads';
import { open } from './store.mjs';

const commit = open(workerData.file);
let queue = [];
let scheduled = false;
parentPort.on('message', (m) => {
  queue.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
function drain() {
  scheduled = false;
  const items = queue;
  queue = [];
  const out = commit(items.map((m) => [m.step, m.arg]));
  parentPort.postMessage({ ids: items.map((m) => m.id), out });
}
