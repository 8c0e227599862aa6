/**
 * A start that fails part-way (here: an app whose start() throws after another app has
 * started) leaves nothing running behind it: the apps already started are stopped, the
 * port is free again, and the error reaches the caller.
 */
import net from 'node:net';
import pino from 'pino';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import type { BuiltinApp } from '../../src/apps/app.js';
import { ADMIN_TOKEN, SECRET_KEY, freshDatabase } from '../helpers/server.js';
import { freePort } from '../helpers/wait.js';

it('an app that cannot start stops the apps started before it, and the port is let go', async () => {
  const db = freshDatabase();
  const port = await freePort();
  const seen: string[] = [];
  const app = (name: string, fail: boolean): BuiltinApp<object> => ({
    name,
    config: () => ({}),
    create: () => ({
      async start() {
        seen.push(`${name} start`);
        if (fail) throw new Error(`${name} cannot start`);
      },
      async stop() {
        seen.push(`${name} stop`);
      },
    }),
  });
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    HOOKBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKBRIDGE_SECRET_KEY: SECRET_KEY,
    LOG_LEVEL: 'silent',
  });
  try {
    await expect(startServer(config, pino({ level: 'silent' }), { apps: [app('first', false), app('second', true)] })).rejects.toThrow('second cannot start');
    expect(seen).toEqual(['first start', 'second start', 'second stop', 'first stop']);
    // Nothing listens any more: the port can be taken again.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => again.close(r));
  } finally {
    await db.drop();
  }
});
