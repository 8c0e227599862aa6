/**
 * A meetings click with nothing but its storage: Fastify, the two writer steps, the same
 * answer as bench/bare.mjs. MODE=main runs the writer on the event loop (as Hookbridge
 * does); MODE=thread runs it in a worker thread, a message each way per step.
 * Run as a child (`fork`); sends {type:'ready', port}.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { open } from './store.mjs';

const { MODE, FILE } = process.env;
let step;
if (MODE === 'main') {
  const commit = open(FILE);
  let queue = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    const items = queue;
    queue = [];
    const out = commit(items.map((q) => [q.step, q.arg]));
    items.forEach((q, i) => q.resolve(out[i]));
  };
  step = (name, arg) =>
    new Promise((resolve) => {
      queue.push({ step: name, arg, resolve });
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    });
} else if (MODE === 'thread') {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { file: FILE } });
  const waiting = new Map();
  let next = 0;
  worker.on('message', (m) => m.ids.forEach((id, i) => (waiting.get(id)(m.out[i]), waiting.delete(id))));
  step = (name, arg) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      worker.postMessage({ id, step: name, arg });
    });
} else throw new Error(`MODE must be main or thread, not ${MODE}`);

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const app = Fastify({ logger: false });
let seq = 0;
app.post('/webhook/kontur-create', async (req, reply) => {
  const b = req.body;
  if (!b || typeof b !== 'object' || typeof b.channel_id !== 'string' || typeof b.user_id !== 'string') return reply.code(400).send({ status: 'error' });
  const now = Date.now();
  const id = `mtg_${now.toString(36)}_${(seq++).toString(36)}`;
  const window = await step('reserve', { id, project_id: 'p1', user_id: b.user_id, channel_id: b.channel_id, request: JSON.stringify(b), created_at: now });
  if (window.length > 1000) return reply.code(429).send({ status: 'error' });
  let roomId = b.channel_id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'room';
  for (const x of randomBytes(8)) roomId += ALNUM[x % 36];
  const roomUrl = `https://meet.ktalk.ru/${roomId}`;
  const body = { room_url: roomUrl, meeting_url: roomUrl, room_id: roomId, room_name: `Meeting - ${b.channel_name ?? b.channel_id}`, created_at: new Date(now).toISOString(), status: 'success' };
  await step('finish', { id, project_id: 'p1', room_url: roomUrl, payload: JSON.stringify({ type: 'room.created', data: body }) });
  return body;
});

await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'ready', port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
