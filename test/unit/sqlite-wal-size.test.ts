/**
 * After a burst of writes the SQLite WAL goes back to a bounded size: without a limit,
 * SQLite keeps the file at the largest size the burst made (500 MB after 6 s of meeting
 * clicks) for as long as the server runs. Through the store a server opens: its own
 * checkpoint thread copies the WAL, and the next write restarts and truncates it.
 * Under writes that never pause, the WAL stays bounded too (it grew 13 MB a second at
 * 300 publishes a second before): the thread restarts it in a quiet moment.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WAL_KEEP_BYTES, openStore } from '../../src/store/db.js';
import { until } from '../helpers/wait.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-wal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('a burst larger than the limit leaves a WAL file of at most WAL_KEEP_BYTES once the next write restarts it', async () => {
  const file = path.join(dir, 'burst.db');
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  try {
    const db = store.sqlite!;
    db.exec('create table blobs (id integer primary key, body blob not null)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    const page = Buffer.alloc(3500, 7);
    // One transaction cannot restart the WAL midway: ~90 MB of frames.
    db.transaction(() => {
      for (let i = 0; i < 24_000; i++) insert.run(page);
    })();
    const wal = () => fs.statSync(`${file}-wal`).size;
    expect(wal()).toBeGreaterThan(WAL_KEEP_BYTES);
    // The checkpoint thread (once a second) copies it all; a write after that restarts the WAL.
    await until(
      'the WAL to restart and shrink',
      10_000,
      () => {
        insert.run(Buffer.alloc(10));
        return wal() <= WAL_KEEP_BYTES;
      },
      200,
    );
    expect(wal()).toBeLessThanOrEqual(WAL_KEEP_BYTES);
    expect((db.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBeGreaterThan(24_000);
  } finally {
    await store.close();
  }
});

it('writes that never pause keep the WAL bounded, and every write is kept', async () => {
  const file = path.join(dir, 'steady.db');
  const maxWal = 2 * 1024 * 1024;
  const store = await openStore({ databaseUrl: `sqlite:${file}`, sqliteCheckpointMs: 50, sqliteMaxWalBytes: maxWal });
  try {
    const db = store.sqlite!;
    db.exec('create table blobs (id integer primary key, body blob not null)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    // Small rows, as publishes and clicks write: each commit rewrites the same few pages.
    const body = Buffer.alloc(200, 7);
    const wal = () => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    let written = 0;
    let largest = 0;
    const started = Date.now();
    // Group commits back to back for 3 s: thousands of commits, far more frames than the limit.
    while (Date.now() - started < 3000) {
      await Promise.all(Array.from({ length: 8 }, () => store.write!(() => insert.run(body))));
      written += 8;
      largest = Math.max(largest, wal());
    }
    // Each commit appends at least one 4 KiB frame: without restarts the WAL would pass 4 × the limit.
    expect(written / 8).toBeGreaterThan(2000);
    expect(largest).toBeLessThan(16 * maxWal);
    expect((db.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBe(written);
  } finally {
    await store.close();
  }
});

it('a reader in another connection holding the WAL only delays the restart: writes go on, and the WAL restarts once it lets go', async () => {
  const file = path.join(dir, 'held.db');
  const maxWal = 1024 * 1024;
  const store = await openStore({ databaseUrl: `sqlite:${file}`, sqliteCheckpointMs: 50, sqliteMaxWalBytes: maxWal });
  const SQLite = (await import('better-sqlite3')).default;
  const reader = new SQLite(file);
  try {
    const db = store.sqlite!;
    db.exec('create table blobs (id integer primary key, body blob not null)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    const body = Buffer.alloc(200, 7);
    const wal = () => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    let written = 0;
    let slowest = 0;
    const writeFor = async (ms: number) => {
      const started = Date.now();
      while (Date.now() - started < ms) {
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 8 }, () => store.write!(() => insert.run(body))));
        slowest = Math.max(slowest, Date.now() - t0);
        written += 8;
      }
    };
    // A snapshot held open (a backup, a long report): the WAL cannot restart under it.
    reader.exec('begin');
    reader.prepare('select count(*) from blobs').get();
    await writeFor(1500);
    expect(wal()).toBeGreaterThan(4 * maxWal);
    // Each try waits at most its busy timeout (and the main thread at most 2 s) before giving up.
    expect(slowest).toBeLessThan(1000);
    reader.exec('commit');
    await writeFor(1500);
    await until('the WAL to restart', 5000, async () => (await store.write!(() => insert.run(body)), written++, wal() <= 2 * maxWal));
    expect((db.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBe(written);
  } finally {
    reader.close();
    await store.close();
  }
});
