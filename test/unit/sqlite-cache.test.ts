/**
 * HOOKBRIDGE_SQLITE_WAL_MB sets the WAL size past which the checkpoint thread restarts it
 * and to which it is cut back (the thread's own behaviour: sqlite-wal-size.test.ts).
 * HOOKBRIDGE_SQLITE_CACHE_MB sizes the SQLite page cache of the server's connection
 * (default 4 MiB, not better-sqlite3's 16: the peak memory of a 1,000,000-delivery
 * backlog was 10 MB lower at the same drain rate). Checked on the connection a server
 * actually opens, through the same path `hookbridge serve` takes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openRepos } from '../../src/bootstrap.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-cache-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pragma's value on the connection a server opens with `env`. */
async function pragmaOf(env: Record<string, string>, pragma: string) {
  const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, `${Math.random()}.db`)}`, HOOKBRIDGE_DATA_DIR: dir, ...env });
  const { store } = await openRepos(config, pino({ level: 'silent' }));
  try {
    return Number(store.sqlite!.pragma(pragma, { simple: true }));
  } finally {
    await store.close();
  }
}
// Negative: KiB (positive would be pages).
const cacheKiB = async (env: Record<string, string>) => -(await pragmaOf(env, 'cache_size'));

it('the SQLite page cache is 4 MiB unless HOOKBRIDGE_SQLITE_CACHE_MB says otherwise', async () => {
  expect(await cacheKiB({})).toBe(4096);
  expect(await cacheKiB({ HOOKBRIDGE_SQLITE_CACHE_MB: '64' })).toBe(65536);
});

it('a HOOKBRIDGE_SQLITE_CACHE_MB that is not a size is refused at start, naming the variable', () => {
  for (const bad of ['0', 'lots', '-8']) {
    expect(() => loadConfig({ DATABASE_URL: 'sqlite::memory:', HOOKBRIDGE_SQLITE_CACHE_MB: bad })).toThrow(/HOOKBRIDGE_SQLITE_CACHE_MB/);
  }
});

it('after a burst the WAL file is cut back to twice 64 MiB unless HOOKBRIDGE_SQLITE_WAL_MB says otherwise; a value that is not a size is refused', async () => {
  expect(await pragmaOf({}, 'journal_size_limit')).toBe(2 * 64 * 1024 * 1024);
  expect(await pragmaOf({ HOOKBRIDGE_SQLITE_WAL_MB: '8' }, 'journal_size_limit')).toBe(2 * 8 * 1024 * 1024);
  for (const bad of ['0', 'big', '-1']) {
    expect(() => loadConfig({ DATABASE_URL: 'sqlite::memory:', HOOKBRIDGE_SQLITE_WAL_MB: bad })).toThrow(/HOOKBRIDGE_SQLITE_WAL_MB/);
  }
});
