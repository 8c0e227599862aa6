import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Scale-out and operations: FIFO webhooks (one delivery at a time, in publish order,
 * across all workers), per-project retention, and the PostgreSQL fallback for
 * cluster-wide endpoint limits (leases per webhook).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('ordering', 'varchar(16)', (c) => c.notNull().defaultTo('parallel')).execute();
  /** Copied from the webhook when the delivery is made: the claim needs no join to know. */
  await db.schema.alterTable('deliveries').addColumn('fifo', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // The head of a FIFO line: the oldest pending delivery of the webhook.
  await db.schema
    .createIndex('deliveries_fifo_idx')
    .on('deliveries')
    .columns(['webhook_id', 'created_at', 'id'])
    .where(sql.ref('fifo'), '=', 1)
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.alterTable('projects').addColumn('retention_days', 'integer', (c) => c.notNull().defaultTo(30)).execute();
  // Retention walks a project's old inbound requests by time (events and jobs have such an index).
  await db.schema.createIndex('inbound_requests_project_idx').on('inbound_requests').columns(['project_id', 'received_at']).execute();

  /** One row per in-flight request to a webhook's endpoint, across processes (no Redis). */
  await db.schema
    .createTable('endpoint_leases')
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_leases_pk', ['webhook_id', 'holder'])
    .execute();
  /** Requests sent to a webhook's endpoint in the last second, across processes (no Redis). */
  await db.schema
    .createTable('endpoint_sends')
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('endpoint_sends_idx').on('endpoint_sends').columns(['webhook_id', 'sent_at']).execute();
  if (isPostgres(db)) await sql.raw(ACQUIRE_FUNCTION).execute(db);
}

/** The dialect from Kysely's adapter, not from a probe query that is expected to fail. */
const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * One slot for a request to a webhook's endpoint (the PostgreSQL side of
 * delivery/endpoint-gate.ts): 0 when taken, else the ms to wait. Serialised per webhook
 * by an advisory lock; the database's clock decides. The rate window is 1100 ms, a
 * little over a second, so arrival jitter cannot squeeze one request too many into a
 * second at the receiver.
 */
const ACQUIRE_FUNCTION = `
create or replace function hookbridge_endpoint_acquire(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int) returns bigint as $$
declare
  v_now bigint;
  v_n int;
  v_oldest bigint;
begin
  perform pg_advisory_xact_lock(hashtext('hookbridge-endpoint:' || p_webhook));
  -- The time once the lock is ours: a call that waited must not stamp its send in the past.
  v_now := (extract(epoch from clock_timestamp()) * 1000)::bigint;
  delete from endpoint_leases where webhook_id = p_webhook and expires_at < v_now;
  select count(*) into v_n from endpoint_leases where webhook_id = p_webhook;
  if v_n >= p_max then return 10; end if;
  if p_rate > 0 then
    delete from endpoint_sends where webhook_id = p_webhook and sent_at <= v_now - 1100;
    select count(*), min(sent_at) into v_n, v_oldest from endpoint_sends where webhook_id = p_webhook;
    if v_n >= p_rate then return greatest(1, v_oldest + 1100 - v_now); end if;
    insert into endpoint_sends (webhook_id, holder, sent_at) values (p_webhook, p_holder, v_now);
  end if;
  insert into endpoint_leases (webhook_id, holder, expires_at) values (p_webhook, p_holder, v_now + p_lease);
  return 0;
end $$ language plpgsql`;

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
