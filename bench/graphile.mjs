/**
 * The graphile-worker pipeline — a durable queue a team would build instead of Hookbridge:
 * Fastify `POST /v1/events` → `addJob('deliver', envelope)` (202 once the job row is
 * committed) → a task that signs the envelope and POSTs it with an undici Pool `request`
 * to the receiver (a non-2xx throws, so graphile-worker retries it). One process, as
 * Hookbridge's role `all`; graphile-worker's defaults otherwise (LISTEN/NOTIFY wake-ups).
 *
 * Env: GRAPHILE_DATABASE_URL (PostgreSQL), GRAPHILE_SCHEMA (its own schema; created by
 * graphile-worker's migrations), GRAPHILE_TARGET (receiver origin),
 * GRAPHILE_CONCURRENCY (32), GRAPHILE_POOL (40: the pg pool and the undici pool).
 * Run as a child (`fork`); sends {type:'ready', port} once jobs can run.
 */
import Fastify from 'fastify';
import { Pool } from 'undici';
import { Logger, run } from 'graphile-worker';
import { badPublish, eventHead, serialise, signedHeaders } from './outbound.mjs';

const connectionString = process.env.GRAPHILE_DATABASE_URL;
const schema = process.env.GRAPHILE_SCHEMA;
const target = process.env.GRAPHILE_TARGET;
if (!connectionString || !schema || !target) throw new Error('GRAPHILE_DATABASE_URL, GRAPHILE_SCHEMA and GRAPHILE_TARGET are required');
const concurrency = Number(process.env.GRAPHILE_CONCURRENCY) || 32;
const poolSize = Number(process.env.GRAPHILE_POOL) || 40;

const http = new Pool(target, { connections: poolSize, pipelining: 1, keepAliveTimeout: 30_000 });
// Errors only: the per-job info lines would cost more than the jobs.
const logger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`graphile-worker: ${message}`);
});

const runner = await run({
  connectionString,
  schema,
  concurrency,
  maxPoolSize: poolSize,
  noHandleSignals: true,
  logger,
  taskList: {
    async deliver(ev) {
      const payload = serialise(ev, ev.data);
      const res = await http.request({
        path: '/hook',
        method: 'POST',
        headers: signedHeaders(ev.type, ev.id.replace('evt_', 'dlv_'), payload),
        body: payload,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
    },
  },
});

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/v1/events', async (req, reply) => {
  const bad = badPublish(req.body);
  if (bad) return reply.code(400).send({ error: { message: bad } });
  const ev = eventHead(req.body);
  await runner.addJob('deliver', { ...ev, data: req.body.data });
  return reply.code(202).send({ data: { id: ev.id, type: ev.type, createdAt: ev.createdAt } });
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'ready', port: app.server.address().port });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close().catch(() => {});
  await runner.stop().catch(() => {});
  await http.close().catch(() => {});
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
