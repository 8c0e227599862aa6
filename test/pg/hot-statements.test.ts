/**
 * The queue's hot statements (a publish batch, a result batch) run on connections of their
 * own, carved out of DATABASE_POOL_SIZE, on generic plans: planned once per connection and
 * kept. A plan kept that way was made on whatever the tables held then — here, nothing —
 * so it must reach every table through an index: once the deliveries table holds thousands
 * of rows, a plan that scans it whole would make every result batch read all of them.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotPoolConfig, openStore, sessionSetup, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createRepos } from '../../src/store/index.js';
import { createSecretBox } from '../../src/core/secretbox.js';
import type { AttemptRecord } from '../../src/store/queue.js';
import { webhookDefaults } from '../../src/store/webhooks.js';
import { PG_URL, freshDatabase, sqlElsewhere, type TestDb } from '../helpers/server.js';

if (!PG_URL) console.log('[hot-statements test] skipped: needs PostgreSQL (set DATABASE_URL=postgres://…)');
const describePg = PG_URL ? describe : describe.skip;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The SQL a pool's new connections run first (its onConnect, given a client that records it). */
async function setupOf(config: pg.PoolConfig): Promise<string> {
  const sent: string[] = [];
  await config.onConnect?.({ query: async (text: string) => void sent.push(text) } as unknown as pg.ClientBase);
  return sent.join(' | ');
}

describe('the hot pool takes its connections out of DATABASE_POOL_SIZE', () => {
  it('10 → 6 + 4, 4 → 2 + 2; below 4 there is no hot pool', async () => {
    for (const [size, main, hot] of [
      [10, 6, 4],
      [4, 2, 2],
      [30, 26, 4],
    ] as const) {
      const c: pg.PoolConfig = { connectionString: 'postgres://x@localhost/db', max: size, ...sessionSetup(['SET search_path TO s1']) };
      const h = hotPoolConfig(c, ['SET search_path TO s1']);
      expect([c.max, h?.max]).toEqual([main, hot]);
      // Its sessions take the main pool's own settings (the schema), then theirs; the main pool's stay as they were.
      expect(await setupOf(h!)).toBe('SET search_path TO s1; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off');
      expect(await setupOf(c)).toBe('SET search_path TO s1');
    }
    const small: pg.PoolConfig = { max: 3 };
    expect(hotPoolConfig(small)).toBeUndefined();
    expect(small.max).toBe(3);
  });
});

describePg('hot statements on generic plans (PostgreSQL)', () => {
  let db: TestDb;
  let store: Store;
  let repos: ReturnType<typeof createRepos>;

  beforeAll(async () => {
    db = freshDatabase();
    store = await openStore({ databaseUrl: db.url, poolSize: 4 });
    await migrateToLatest(store.db, store.schema);
    repos = createRepos(store, createSecretBox('test-secret-key-0123456789abcdef'));
    await repos.projects.create({ id: 'prj_hot', name: 'Hot' });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  /** Publishes `n` events (handed to "this worker") and records each as delivered. */
  async function publishAndDeliver(webhookId: string, n: number) {
    const now = Date.now();
    const published = await Promise.all(
      Array.from({ length: n }, (_, i) => repos.events.publish('prj_hot', { type: 'order.paid', data: { i } }, { leaseFor: () => now + 60_000, now })),
    );
    const handed = published.flatMap((p) => p.handed);
    expect(handed).toHaveLength(n);
    const results: AttemptRecord[] = handed.map((d, i) => ({
      deliveryId: d.id,
      projectId: d.project_id,
      webhookId,
      status: 'delivered',
      nextAttemptAt: d.next_attempt_at,
      reason: null,
      webhookOutcome: 'success',
      attempt: {
        id: `att_hot_${now}_${i}`,
        attempt: 1,
        status: 'success',
        request_url: 'http://127.0.0.1:9/hook',
        request_method: 'POST',
        request_headers: '{}',
        request_body: null,
        response_status: 200,
        response_headers: '{}',
        response_body: 'ok',
        duration_ms: 3,
        error: null,
        retry_reason: null,
        notes: null,
        created_at: now,
      },
    }));
    // Several batches at once, so that both hot connections run both statements.
    await Promise.all([results.slice(0, n / 2), results.slice(n / 2)].map((r) => repos.queue.record(r, Date.now(), 86_400_000)));
    return handed.map((d) => d.id);
  }

  it('publishes and results run on generic plans made on empty tables, and those plans never scan a table whole', async () => {
    expect(store.hotPool).toBeDefined();
    expect([store.pool!.options.max, store.hotPool!.options.max]).toEqual([2, 2]);
    const w = await repos.webhooks.create('prj_hot', {
      ...webhookDefaults(),
      name: 'hot',
      url: 'http://127.0.0.1:9/hook',
      events: ['order.paid'],
      secret: 'whsec_aG90LXN0YXRlbWVudHMtdGVzdA==',
      spaceId: null,
    });

    // Plans made now, on empty tables.
    const first = await publishAndDeliver(w.id, 40);
    // Then the tables grow (no ANALYZE: nothing tells the kept plans).
    await sqlElsewhere(
      db,
      `insert into deliveries (id, project_id, event_id, event_type, webhook_id, fifo, status, attempts, attempt_base, next_attempt_at, created_at, updated_at)
       select 'dlv_grow_' || g, 'prj_hot', 'evt_grow_' || g, 'order.paid', $1, 0, case when g % 10 = 0 then 'pending' else 'delivered' end, 1, 0, 0, 0, 0
       from generate_series(1, 20000) g`,
      [w.id],
    );
    const later = await publishAndDeliver(w.id, 40);

    // Every delivery of both rounds ended delivered.
    const states = await store.db.selectFrom('deliveries').select(['id', 'status']).where('id', 'in', [...first, ...later]).execute();
    expect(states).toHaveLength(80);
    expect(states.every((s) => s.status === 'delivered')).toBe(true);

    // Each hot connection: its prepared statements, how they were planned, and their plans.
    const clients = await Promise.all([store.hotPool!.connect(), store.hotPool!.connect()]);
    try {
      let seen = 0;
      for (const c of clients) {
        expect((await c.query('show plan_cache_mode')).rows[0].plan_cache_mode).toBe('force_generic_plan');
        expect((await c.query('select current_schema() as s')).rows[0].s).toBe(store.schema);
        const { rows } = await c.query<{ name: string; parameter_types: string; generic_plans: string; custom_plans: string; statement: string }>(
          'select name, parameter_types::text, generic_plans, custom_plans, statement from pg_prepared_statements',
        );
        for (const s of rows) {
          seen++;
          expect(Number(s.custom_plans), s.statement).toBe(0);
          expect(Number(s.generic_plans), s.statement).toBeGreaterThan(0);
          const types = s.parameter_types.replace(/^\{|\}$/g, '').split(',');
          const args = types.map((t) => `null::${t.replace(/"/g, '')}`).join(', ');
          const plan = (await c.query(`explain (format json) execute ${s.name}(${args})`)).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
          const scans = nodes(plan).filter((n) => n['Node Type'] === 'Seq Scan');
          expect(scans.map((n) => n['Relation Name']), s.statement.slice(0, 80)).toEqual([]);
        }
      }
      // Both statements (publish and result batch), on at least one of the connections.
      expect(seen).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of clients) c.release();
    }
  });
});
