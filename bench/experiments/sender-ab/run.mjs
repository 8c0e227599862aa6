/**
 * Two builds' webhook senders alone, alternated in one process: CPU per request. No
 * database, no publish side; the bench's receiver (bench/receiver.mjs, a child process)
 * answers each POST. For changes to src/delivery/sender.ts, whose effect (a few µs per
 * delivery) the whole pipeline's A/B cannot see through this machine's drift: here both
 * builds run on the same process, interleaved, and the CPU is this process's own.
 *
 *   npm run build && cp -r dist node_modules/.cache/ab-b   (ab-a: the build before the change)
 *   node bench/experiments/sender-ab/run.mjs node_modules/.cache/ab-a node_modules/.cache/ab-b [rounds=8] [requests=10000]
 *
 * Prints, per build, the CPU µs per request of each round and the medians (CPU and requests
 * per second, 32 at once over keep-alive connections).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { killAll, startReceiver } from '../../procs.mjs';
import { medianBy } from '../../load.mjs';

const [dirA, dirB, roundsArg, requestsArg] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: run.mjs <dist copy A> <dist copy B> [rounds] [requests]');
const ROUNDS = Number(roundsArg ?? 8);
const REQUESTS = Number(requestsArg ?? 10_000);
const CONCURRENCY = 32;

const load = (dir) => import(pathToFileURL(path.resolve(dir, 'delivery', 'sender.js')).href);
const [A, B] = await Promise.all([load(dirA), load(dirB)]);

const receiver = await startReceiver();
try {
  const url = `${receiver.origin}/hook`;
  const body = JSON.stringify({ id: 'msg_sender_ab', type: 'message.created', data: { id: 1, text: 'hello '.repeat(40) } });
  const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,abc' };

  async function round(sender, n) {
    let i = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (i++ < n) {
          const r = await sender.send({ url, method: 'POST', headers, body }, 5000);
          if (r.statusCode !== 200) throw new Error(`unexpected result: ${JSON.stringify(r)}`);
        }
      }),
    );
    const c = process.cpuUsage(c0);
    return { cpuUs: (c.user + c.system) / n, perSecond: n / ((performance.now() - t0) / 1000) };
  }

  const senders = { a: A.createSender({ allowPrivate: true }), b: B.createSender({ allowPrivate: true }) };
  // Warm-up: connections opened, code compiled.
  await round(senders.a, REQUESTS / 2);
  await round(senders.b, REQUESTS / 2);
  const results = { a: [], b: [] };
  for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? ['b', 'a'] : ['a', 'b']) results[k].push(await round(senders[k], REQUESTS));
  for (const [k, dir] of [['a', dirA], ['b', dirB]]) {
    const rs = results[k];
    console.log(`${dir}: CPU µs/request ${rs.map((r) => r.cpuUs.toFixed(1)).join(' / ')}, median ${medianBy(rs, (r) => r.cpuUs).cpuUs.toFixed(1)}; median ${Math.round(medianBy(rs, (r) => r.perSecond).perSecond)} requests/s`);
  }
  await Promise.all(Object.values(senders).map((s) => s.close()));
} finally {
  await killAll();
}
