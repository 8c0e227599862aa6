/**
 * After a burst of writes the SQLite WAL goes back to a bounded size: without a limit,
 * SQLite keeps the file at the largest size the burst made (500 MB after 6 s of meeting
 * clicks) for as long as the server runs. Through the store a server opens: its own
 * checkpoint thread copies the WAL, and the next write restarts it and cuts the file back
 * to twice the restart size. Under writes that never pause, the WAL stays bounded too (it
 * grew 13 MB a second at 300 publishes a second before): the thread restarts it in a quiet
 * moment, and the file is reused from its start rather than cut at each restart (the cut
 * stalled the first commit after every restart by 5–9 ms).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WAL_RESTART_BYTES, openStore, walFileLimit } from '../../src/store/db.js';
import { until } from '../helpers/wait.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-wal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('a burst past the file limit leaves a WAL file of at most twice the restart size once the next write restarts it', async () => {
  const file = path.join(dir, 'burst.db');
  const restartBytes = 8 * 1024 * 1024;
  const limit = walFileLimit(restartBytes);
  expect(limit).toBe(2 * restartBytes);
  expect(WAL_RESTART_BYTES).toBe(64 * 1024 * 1024);
  const store = await openStore({ databaseUrl: `sqlite:${file}`, sqliteMaxWalBytes: restartBytes });
  try {
    const db = store.sqlite!;
    db.exec('create table blobs (id integer primary key, body blob not null)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    const page = Buffer.alloc(3500, 7);
    // One transaction cannot restart the WAL midway: ~35 MB of frames.
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) insert.run(page);
    })();
    const wal = () => fs.statSync(`${file}-wal`).size;
    expect(wal()).toBeGreaterThan(limit);
    // The checkpoint thread (every CHECKPOINT_EVERY_MS) copies it all; a write after that restarts the WAL.
    await until(
      'the WAL to restart and shrink',
      10_000,
      () => {
        insert.run(Buffer.alloc(10));
        return wal() <= limit;
      },
      200,
    );
    expect(wal()).toBeLessThanOrEqual(limit);
    expect((db.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBeGreaterThan(10_000);
  } finally {
    await store.close();
  }
});

/** The checkpoint sequence number in a WAL file's header (bytes 12–15, big-endian; SQLite's file format). */
function walSequence(file: string): number {
  const fd = fs.openSync(`${file}-wal`, 'r');
  try {
    const head = Buffer.alloc(16);
    return fs.readSync(fd, head, 0, 16, 0) === 16 ? head.readUInt32BE(12) : -1;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A store with 50 ms checkpoint ticks and a small WAL limit, and a writer of small rows
 * (as publishes and clicks write: each commit rewrites the same few pages) that runs group
 * commits of 8 back to back, keeping count and the slowest batch and the largest WAL seen.
 */
async function steadyWriter(name: string, maxWal: number) {
  const file = path.join(dir, `${name}.db`);
  const store = await openStore({ databaseUrl: `sqlite:${file}`, sqliteCheckpointMs: 50, sqliteMaxWalBytes: maxWal });
  const db = store.sqlite!;
  db.exec('create table blobs (id integer primary key, body blob not null)');
  const insert = db.prepare('insert into blobs (body) values (?)');
  const body = Buffer.alloc(200, 7);
  const w = {
    store,
    file,
    written: 0,
    commits: 0,
    slowest: 0,
    last: 0,
    largest: 0,
    /** Each time the WAL file got smaller: the size before and after. */
    cuts: [] as Array<{ from: number; to: number }>,
    /** The WAL header's checkpoint sequence numbers seen: one more at each restart. */
    sequences: new Set<number>(),
    wal: () => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0,
    stored: () => (db.prepare('select count(*) as n from blobs').get() as { n: number }).n,
    writeOne: () => store.write!(() => insert.run(body)).then(() => void w.written++),
    async writeFor(ms: number) {
      const started = Date.now();
      while (Date.now() - started < ms) {
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 8 }, w.writeOne));
        w.commits++;
        w.slowest = Math.max(w.slowest, Date.now() - t0);
        const size = w.wal();
        if (size < w.last) w.cuts.push({ from: w.last, to: size });
        w.last = size;
        w.largest = Math.max(w.largest, size);
        w.sequences.add(walSequence(file));
      }
    },
  };
  return w;
}

it('writes that never pause keep the WAL bounded, and every write is kept', async () => {
  const maxWal = 2 * 1024 * 1024;
  const w = await steadyWriter('steady', maxWal);
  try {
    // Group commits back to back for 3 s: thousands of commits, far more frames than the limit.
    await w.writeFor(3000);
    // Each commit appends at least one 4 KiB frame: without restarts the WAL would pass 4 × the limit.
    expect(w.commits).toBeGreaterThan(2000);
    expect(w.largest).toBeLessThan(16 * maxWal);
    expect(w.stored()).toBe(w.written);
  } finally {
    await w.store.close();
  }
});

it('under writes that never pause the WAL restarts again and again, and its file is reused, not cut back at each restart', async () => {
  const maxWal = 2 * 1024 * 1024;
  const w = await steadyWriter('reused', maxWal);
  try {
    await w.writeFor(3000);
    expect(w.sequences.size, 'restarts seen in the WAL header').toBeGreaterThan(3);
    expect(w.stored()).toBe(w.written);
    // Cut only from past the file limit (a burst); a file cut at the restart size would
    // show a cut from just past 2 MB at every restart.
    expect(w.cuts.filter((c) => c.from <= walFileLimit(maxWal))).toEqual([]);
  } finally {
    await w.store.close();
  }
});

it('a reader in another connection holding the WAL only delays the restart: writes go on, and the WAL restarts once it lets go', async () => {
  const maxWal = 1024 * 1024;
  const w = await steadyWriter('held', maxWal);
  const SQLite = (await import('better-sqlite3')).default;
  const reader = new SQLite(w.file);
  try {
    // A snapshot held open (a backup, a long report): the WAL cannot restart under it.
    reader.exec('begin');
    reader.prepare('select count(*) from blobs').get();
    await w.writeFor(1500);
    expect(w.wal()).toBeGreaterThan(4 * maxWal);
    // Each try waits at most its busy timeout (and the main thread at most 2 s) before giving up.
    expect(w.slowest).toBeLessThan(1000);
    reader.exec('commit');
    await w.writeFor(1500);
    await until('the WAL to restart', 5000, async () => (await w.writeOne(), w.wal() <= 2 * maxWal));
    expect(w.stored()).toBe(w.written);
  } finally {
    reader.close();
    await w.store.close();
  }
});
