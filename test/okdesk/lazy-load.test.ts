/**
 * An app that is off costs nothing: a server without OKDESK_API_URL never loads the
 * rating app's bot or its Telegram library (grammY, about 5 MB of a server's memory);
 * with the app on, it does. Each case is a fresh Node process running the built server,
 * since this suite's own process has long loaded everything.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { BOT_TOKEN } from './_support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-lazy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts the built server with `env` in a new process: whether grammY was loaded, and whether its bot route exists. */
function serverLoads(env: Record<string, string>): Promise<{ grammy: boolean; okdeskRoute: number }> {
  const dist = (f: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', f)).href);
  const script = `
    import { createRequire } from 'node:module';
    import pino from 'pino';
    const { loadConfig } = await import(${dist('config.js')});
    const { startServer } = await import(${dist('server.js')});
    const server = await startServer(loadConfig(process.env), pino({ level: 'silent' }));
    const res = await fetch(server.url + '/okdesk-webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const grammy = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/grammy/'));
    await server.close();
    console.log(JSON.stringify({ grammy, okdeskRoute: res.status }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: `sqlite:${path.join(dir, `${Math.random()}.db`)}`, HOOKBRIDGE_DATA_DIR: dir, HOOKBRIDGE_ROLE: 'api', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // 'close', not 'exit': only then has all of the child's output been read.
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exited ${code}`);
        resolve(JSON.parse(out.trim().split('\n').at(-1)!));
      } catch (e) {
        reject(new Error(`${(e as Error).message}; stdout: ${out}; stderr: ${err}`));
      }
    }),
  );
}

it('a server without the Okdesk rating app never loads grammY', async () => {
  const off = await serverLoads({});
  expect(off.grammy).toBe(false);
  expect(off.okdeskRoute).toBe(404);
}, 30_000);

it('a server with the app on loads it and serves its webhook', async () => {
  // Role api: the bot does not poll, so no Telegram server is needed.
  const on = await serverLoads({ OKDESK_API_URL: 'http://127.0.0.1:9/api/v1/', OKDESK_API_TOKEN: 'okdesk-token', TELEGRAM_BOT_TOKEN: BOT_TOKEN });
  expect(on.grammy).toBe(true);
  expect(on.okdeskRoute).not.toBe(404);
}, 30_000);
