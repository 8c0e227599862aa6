/**
 * Two processes started at once on one new SQLite file (CI: two `serve` side by side):
 * both switch the empty file to WAL, and the second one's switch failed at once with
 * "database is locked" — SQLite does not apply the busy timeout when a read has to become
 * a write, so the process exited before it ever answered.
 *
 * Stand-in for the other process: a connection holding the write lock on the new file
 * (in rollback mode, as the file is before anyone switched it) for 150 ms. Opening the
 * store meanwhile must wait for it and come up in WAL mode, not throw.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-open-race-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('opening a new file while another process holds its write lock waits, then opens it in WAL mode', async () => {
  const file = path.join(dir, 'new.db');
  const other = new SQLite(file);
  other.exec('BEGIN IMMEDIATE');
  const released = new Promise<void>((r) =>
    setTimeout(() => {
      other.exec('ROLLBACK');
      r();
    }, 150),
  );
  const started = Date.now();
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  try {
    await released;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // it did wait for the other one
    expect(store.sqlite!.pragma('journal_mode', { simple: true })).toBe('wal');
    store.sqlite!.exec('create table t (id integer primary key)'); // and can write
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal'); // the other process sees the switch
  } finally {
    await store.close();
    other.close();
  }
});

it('a lock that is never let go still ends in a clear error, after the busy timeout', async () => {
  const file = path.join(dir, 'held.db');
  const other = new SQLite(file);
  other.exec('BEGIN IMMEDIATE');
  try {
    const started = Date.now();
    await expect(openStore({ databaseUrl: `sqlite:${file}` })).rejects.toThrow(/database is locked/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
}, 15_000);
