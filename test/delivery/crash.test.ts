/**
 * Process-level crash test (SPEC §4.3 at-least-once, issue 3 "Done when"): a real
 * `node dist/cli.js serve` child delivers a few thousand events to a slow loopback
 * receiver, is killed with SIGKILL while deliveries are claimed and in flight, and is
 * restarted on the same database. Every event that was accepted (202) must reach the
 * receiver at least once — duplicates allowed, losses not — and every delivery must end
 * `delivered`. Publishing runs on while the server dies, so the events in flight at the
 * kill are published again after the restart with the same id (idempotent: the first
 * result if it was stored, a new event if not).
 *
 * SQLite: a fresh file; PostgreSQL (DATABASE_URL=postgres://…): a fresh schema, with a
 * 3 s lease so the dead process's claims come back quickly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { PG_URL, freshDatabase, type TestDb } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { spawnServer as spawnChild, waitReady as waitChildReady, type ChildServer, adminRequest, tearDownRig } from '../helpers/child-server.js';
import { sleep, until, freePort } from '../helpers/wait.js';

const EVENTS = 3000;
const PUBLISH_CONCURRENCY = 24;

let db: TestDb;
let dataDir: string;
let port: number;
let baseUrl: string;
let rcv: Receiver;
let client: Pool;

function spawnServer(): ChildServer {
  return spawnChild({ port, db, dataDir, env: { HOOKBRIDGE_LEASE_SECONDS: '3' } });
}

const waitReady = (child: ChildServer) => waitChildReady(child, baseUrl);

const api = (method: 'GET' | 'POST' | 'PUT', p: string, body?: unknown) => adminRequest(client, method, p, body, 15_000);

/** Deliveries of this webhook the dead process had claimed (leased) and not finished, read straight from the database. */
async function leasedPending(webhookId: string): Promise<number> {
  const store = await openStore({ databaseUrl: db.url, poolSize: 1 });
  try {
    const r = await store.db
      .selectFrom('deliveries')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('webhook_id', '=', webhookId)
      .where('status', '=', 'pending')
      .where('lease_until', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  } finally {
    await store.close();
  }
}

/** Distinct event ids the receiver has seen (from the envelope `id`). */
function receivedIds(): Set<string> {
  const ids = new Set<string>();
  for (const r of rcv.requests) ids.add(JSON.parse(r.body).id);
  return ids;
}

beforeAll(async () => {
  db = freshDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-crash-'));
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  client = new Pool(baseUrl, { connections: PUBLISH_CONCURRENCY + 4 });
  // Slow (2 concurrent requests × 25 ms ≈ 80/s) until the kill, so a backlog of accepted,
  // claimed and in-flight deliveries exists when the server dies, whatever the publish rate.
  rcv = await startReceiver(() => ({ status: 200, body: 'OK', delayMs: 25 }));
}, 120_000);

afterAll(() => tearDownRig({ client, rcv, db, dataDir }));

describe(`crash recovery (${PG_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('kill -9 mid-delivery, restart: every accepted event reaches the receiver', async () => {
    const t0 = Date.now();
    const first = spawnServer();
    await waitReady(first);

    const w = await api('POST', '/v1/webhooks', {
      name: 'crash',
      url: `${rcv.url}/hook`,
      events: ['message.created'],
      maxConcurrency: 2,
      retryPolicy: { maxRetries: 5, retryDelay: 200, backoffMultiplier: 2, maxRetryDelay: 1000 },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    const webhookId: string = w.body.data.id;

    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_crash_${String(i).padStart(5, '0')}`);
    const accepted = new Set<string>();
    let next = 0;
    let down = false;
    const publishOne = async (id: string) => {
      const r = await api('POST', '/v1/events', { id, type: 'message.created', data: { n: id } });
      if (r.status !== 202) throw new Error(`publish ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      accepted.add(id);
    };
    // Phase 1: publish until the server dies under us (connection errors end a publisher).
    let publishError: unknown;
    const publishers = Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
      while (!down && next < ids.length) {
        const id = ids[next++];
        try {
          await publishOne(id);
        } catch (err) {
          if (!down) publishError ??= err; // a failure while the server is up is a real one
          return;
        }
      }
    });
    const publishing = Promise.all(publishers);

    // Kill once a third is accepted and deliveries are flowing (and so in flight).
    await until('a third of the events to be accepted and some delivered', 60_000, () => {
      if (publishError) throw publishError;
      return accepted.size >= EVENTS / 3 && rcv.requests.length >= 40;
    }, 5);
    down = true;
    first.proc.kill('SIGKILL');
    const killedAt = Date.now();
    const phase1Ms = killedAt - t0;
    expect(await first.exited).toBeNull(); // killed by a signal, no exit code
    expect(first.proc.signalCode).toBe('SIGKILL');
    await publishing;
    if (publishError) throw publishError;
    await sleep(50); // requests already on the wire land
    const atKill = receivedIds();
    // Requests that arrived within the receiver's 25 ms answer delay before the kill never got their answer back.
    const unansweredAtKill = rcv.requests.filter((r) => r.at > killedAt - 25).length;
    // Fast from now on: what matters after the restart is that nothing is missing.
    rcv.respond = () => ({ status: 200, body: 'OK' });
    const acceptedAtKill = accepted.size;
    // The kill must have landed mid-run, or this test proves nothing.
    expect(atKill.size).toBeLessThan(acceptedAtKill);
    expect(atKill.size).toBeLessThan(EVENTS);
    const missingAccepted = [...accepted].filter((id) => !atKill.has(id)).length;
    expect(missingAccepted).toBeGreaterThan(0);
    // ...and the dead process held claims that the restarted one has to take back.
    const leasedAtKill = await leasedPending(webhookId);
    expect(leasedAtKill).toBeGreaterThan(0);

    // Phase 2: restart on the same database and publish the rest (and the ones whose
    // publish was cut off — same id, so a stored one is not created twice).
    const second = spawnServer();
    await waitReady(second);
    const restartMs = Date.now() - killedAt;
    // More lanes for the drain (the new limit applies from the next claim).
    expect((await api('PUT', `/v1/webhooks/${webhookId}`, { maxConcurrency: 16 })).status).toBe(200);
    const rest = ids.filter((id) => !accepted.has(id));
    let k = 0;
    await Promise.all(
      Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
        while (k < rest.length) await publishOne(rest[k++]);
      }),
    );
    expect(accepted.size).toBe(EVENTS);

    const drainFrom = Date.now();
    await until('every event id at the receiver', 60_000, () => receivedIds().size >= EVENTS, 100).catch((err) => {
      const seenNow = receivedIds();
      const missing = ids.filter((id) => !seenNow.has(id));
      throw new Error(
        `${(err as Error).message}: ${missing.length} never arrived (${missing.slice(0, 10).join(' ')}…)\n` +
          `server output:\n${first.output.join('').slice(-3000)}\n---\n${second.output.join('').slice(-3000)}`,
      );
    });
    const drainMs = Date.now() - drainFrom;
    const seen = receivedIds();
    const lost = ids.filter((id) => !seen.has(id));
    expect(lost).toEqual([]);
    expect([...seen].every((id) => accepted.has(id))).toBe(true);

    // Every delivery ends delivered: nothing pending, nothing failed, one per event.
    await until('no pending deliveries', 30_000, async () => {
      const r = await api('GET', `/v1/deliveries?status=pending&webhookId=${webhookId}&limit=1`);
      return r.body.pagination.total === 0;
    }, 200);
    const failed = await api('GET', `/v1/deliveries?status=failed&webhookId=${webhookId}&limit=5`);
    expect(failed.body.pagination.total, JSON.stringify(failed.body.data)).toBe(0);
    const delivered = await api('GET', `/v1/deliveries?status=delivered&webhookId=${webhookId}&limit=1`);
    expect(delivered.body.pagination.total).toBe(EVENTS);

    const perId = new Map<string, number>();
    for (const r of rcv.requests) {
      const id = JSON.parse(r.body).id as string;
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    const duplicates = rcv.requests.length - seen.size;
    const firstAt = new Map<string, number>();
    for (const r of rcv.requests) if (!firstAt.has(JSON.parse(r.body).id)) firstAt.set(JSON.parse(r.body).id, r.at);
    const dupLead = Math.max(0, ...[...perId].filter(([, n]) => n > 1).map(([id]) => killedAt - firstAt.get(id)!));
    // At-least-once allows duplicates, but only of deliveries sent shortly before the kill
    // whose results were not committed yet (a few to a few dozen: delivery rate × commit
    // latency). Near one per event would mean rows are re-claimed and re-sent in normal
    // operation, as when lost lease extensions let leases of queued rows run out.
    expect(duplicates, `per-id counts: ${JSON.stringify(Object.fromEntries([...perId].filter(([, n]) => n > 1).slice(0, 20)))}`).toBeLessThanOrEqual(EVENTS / 10);
    console.log(
      `[crash test ${PG_URL ? 'pg' : 'sqlite'}] accepted at kill ${acceptedAtKill}/${EVENTS}, received at kill ${atKill.size} ` +
        `(${missingAccepted} accepted but not yet received, ${unansweredAtKill} unanswered, ${leasedAtKill} leased), phase 1 ${phase1Ms} ms, restart ${restartMs} ms, ` +
        `drain ${drainMs} ms, requests ${rcv.requests.length}, duplicates ${duplicates} (first sent ≤ ${dupLead} ms before the kill), total ${Date.now() - t0} ms`,
    );
    expect(second.proc.exitCode).toBeNull();
  }, 120_000);
});
