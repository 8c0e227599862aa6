/**
 * The meetings baseline: a bare Fastify process answering `POST /webhook/kontur-create`
 * with the same JSON Hookbridge's meetings app answers with the mock provider
 * (room_url, meeting_url, room_id, room_name, created_at, status) — no storage, no rate
 * limit, no history, no event. What "answering the webhook" costs on this machine.
 *
 * Run as a child (`fork`); sends {type:'ready', port}.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

const app = Fastify({ logger: false });
app.post('/webhook/kontur-create', async (req, reply) => {
  const b = req.body;
  if (!b || typeof b !== 'object' || typeof b.channel_id !== 'string' || typeof b.user_id !== 'string') {
    return reply.code(400).send({ status: 'error', error: 'Bad Request', message: 'channel_id and user_id are required' });
  }
  let roomId = b.channel_id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'room';
  for (const x of randomBytes(8)) roomId += ALNUM[x % 36];
  const roomUrl = `https://meet.ktalk.ru/${roomId}`;
  return {
    room_url: roomUrl,
    meeting_url: roomUrl,
    room_id: roomId,
    room_name: `Meeting - ${b.channel_name ?? b.channel_id}`,
    created_at: new Date().toISOString(),
    status: 'success',
  };
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'ready', port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => app.close().finally(() => process.exit(0)));
