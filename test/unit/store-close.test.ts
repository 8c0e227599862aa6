/**
 * Closing a SQLite store leaves nothing behind that keeps the process alive: a short
 * command (`hookbridge token create`, `migrate`) exits as soon as its work is done. The
 * WAL checkpoint thread's shutdown once left a 2 s timer pending, so every such command
 * took two seconds longer than its work.
 *
 * Every timer set while the store opens and closes is tracked (the suite shares its
 * process between files, so the process-wide list of timers says nothing about ours).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';

it('a closed SQLite store leaves no timer pending and no thread running that would keep the process alive', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-close-'));
  const pending = new Set<NodeJS.Timeout>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t: NodeJS.Timeout = realSet(() => {
      pending.delete(t);
      fn(...args);
    }, ms);
    pending.add(t);
    return t;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((t: NodeJS.Timeout | undefined) => {
    if (t) pending.delete(t);
    realClear(t);
  }) as typeof clearTimeout;
  const workers = () => process.getActiveResourcesInfo().filter((r) => r === 'Worker').length;
  const workersBefore = workers();
  try {
    const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'c.db')}` });
    store.sqlite!.exec('create table t (k text primary key)');
    await store.close();
    // Nor its WAL checkpoint thread (other files' threads, if any, are counted on both sides).
    expect(workers()).toBe(workersBefore);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const holding = [...pending].filter((t) => t.hasRef());
  expect(holding.map((t) => (t as unknown as { _idleTimeout: number })._idleTimeout)).toEqual([]);
});

it('closing a SQLite store closes its connection, also when only raw steps used it (Kysely never ran a query)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-close-'));
  try {
    const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'c.db')}` });
    const sqlite = store.sqlite!;
    sqlite.exec('create table t (k text primary key)');
    await store.write!(() => sqlite.prepare('insert into t (k) values (?)').run('step'));
    await store.close();
    expect(sqlite.open).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
