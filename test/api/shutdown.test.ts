/**
 * The production start and its stop: `node dist/cli.js serve` drains and exits 0 on
 * SIGTERM and on SIGINT, with a log line for each; `npm start` (which ends without
 * passing a SIGTERM on) stops the server too instead of leaving it running unsupervised.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/server.js';
import { killChildren, spawnServer, waitReady, type ChildServer } from '../helpers/child-server.js';
import { freePort, until } from '../helpers/wait.js';

afterAll(killChildren);

async function start(via: 'node' | 'npm', env: Record<string, string> = {}): Promise<{ child: ChildServer; url: string }> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-stop-'));
  const child = spawnServer({ port, db: freshDatabase(), dataDir, via, env: { LOG_LEVEL: 'info', ...env } });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(child, url);
  return { child, url };
}

const lines = (c: ChildServer) =>
  c.output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; signal?: string });

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch {
    return true;
  }
}

describe('stopping the server', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`node dist/cli.js serve: ${signal} drains, logs it and exits 0`, async () => {
      const { child, url } = await start('node');
      child.proc.kill(signal);
      expect(await child.exited).toBe(0);
      const log = lines(child);
      expect(log.filter((l) => /listening/.test(l.msg))).toHaveLength(1);
      expect(log.find((l) => /^shutting down/.test(l.msg))).toMatchObject({ signal });
      expect(log.find((l) => l.msg === 'stopped')).toMatchObject({ signal });
      expect(await refused(url)).toBe(true);
    });
  }

  it('with the rating bot polling a Telegram API that never answers, SIGTERM still exits in time', async () => {
    const silent = net.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const apiRoot = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
      const { child } = await start('node', { OKDESK_API_URL: 'http://127.0.0.1:9/api/v1/', OKDESK_API_TOKEN: 'x', TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_API_ROOT: apiRoot });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      child.proc.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });

  it('npm start: a SIGTERM to npm stops the server as well (it would otherwise keep running)', async () => {
    const { child, url } = await start('npm');
    child.proc.kill('SIGTERM');
    await child.exited;
    await until('the server to stop', 10_000, () => refused(url));
    // The line is written before the listener closes, but this process may see the refused
    // connection before it reads the line from the pipe: wait for it (bounded).
    await until('the server to log its shutdown', 5_000, () => lines(child).some((l) => /^shutting down/.test(l.msg)));
  });
});
