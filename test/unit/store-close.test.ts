/**
 * Closing a SQLite store leaves nothing behind that keeps the process alive: a short
 * command (`hookbridge token create`, `migrate`) exits as soon as its work is done. The
 * WAL checkpoint thread's shutdown once left a 2 s timer pending, so every such command
 * took two seconds longer than its work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

it('a closed SQLite store leaves no timer or thread running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-close-'));
  try {
    const before = process.getActiveResourcesInfo();
    const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'c.db')}` });
    store.sqlite!.exec('create table t (k text primary key)');
    await store.close();
    expect(timers()).toBe(before.filter((r) => r === 'Timeout').length);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Worker').length).toBe(before.filter((r) => r === 'Worker').length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
