/**
 * The stateless relay — "what users would build instead" of Hookbridge: Fastify
 * `POST /v1/events` builds the envelope, signs it, forwards it with an undici Pool
 * `request` to the receiver and answers 202 once the receiver said 2xx (502 otherwise).
 * No storage: nothing survives a crash, nothing is retried. Same two hops as Hookbridge.
 *
 * Run as a child (`fork`) with RELAY_TARGET=<receiver origin>; sends {type:'ready', port}.
 */
import Fastify from 'fastify';
import { Pool } from 'undici';
import { badPublish, eventHead, serialise, signedHeaders } from './outbound.mjs';

const target = process.env.RELAY_TARGET;
if (!target) throw new Error('RELAY_TARGET is required');
const connections = Number(process.env.RELAY_CONNECTIONS) || 40;
const pool = new Pool(target, { connections, pipelining: 1, keepAliveTimeout: 30_000 });

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/v1/events', async (req, reply) => {
  const bad = badPublish(req.body);
  if (bad) return reply.code(400).send({ error: { message: bad } });
  const ev = eventHead(req.body);
  ev.payload = serialise(ev, req.body.data);
  const res = await pool.request({
    path: '/hook',
    method: 'POST',
    headers: signedHeaders(ev.type, ev.id.replace('evt_', 'dlv_'), ev.payload),
    body: ev.payload,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) return reply.code(502).send({ error: { message: `receiver answered ${res.statusCode}` } });
  return reply.code(202).send({ data: { id: ev.id, type: ev.type, createdAt: ev.createdAt } });
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'ready', port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => app.close().then(() => pool.close()).finally(() => process.exit(0)));
