import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * A leaner queue.
 *
 * - The two due indexes cover pending rows only. A delivered or failed row leaves them
 *   (one entry removed) instead of moving to another place in them, and they stay as
 *   small as the backlog, however long the history.
 * - PostgreSQL endpoint slots in blocks: a process holds one row per webhook with a
 *   number of slots, grown and shrunk as its lane needs, instead of one row written and
 *   deleted per request (two round trips per delivery). `wants` tells holders that
 *   others are waiting, so each keeps no more than a fair share.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_due_idx').execute();
  await db.schema.dropIndex('deliveries_webhook_due_idx').execute();
  await db.schema.createIndex('deliveries_pending_due_idx').on('deliveries').column('next_attempt_at').where(sql.ref('status'), '=', 'pending').execute();
  await db.schema
    .createIndex('deliveries_pending_webhook_idx')
    .on('deliveries')
    .columns(['webhook_id', 'next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();

  await db.schema.alterTable('endpoint_leases').addColumn('slots', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('endpoint_leases').addColumn('wants', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql.raw(ACQUIRE_FUNCTION).execute(db);
    await sql.raw(GRANT_FUNCTION).execute(db);
  }
}

/** Migration 007's per-request slot, now counting every holder's slots (blocks included). */
const ACQUIRE_FUNCTION = `
create or replace function hookbridge_endpoint_acquire(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int) returns bigint as $$
declare
  v_now bigint;
  v_n int;
  v_oldest bigint;
begin
  perform pg_advisory_xact_lock(hashtext('hookbridge-endpoint:' || p_webhook));
  v_now := (extract(epoch from clock_timestamp()) * 1000)::bigint;
  delete from endpoint_leases where webhook_id = p_webhook and expires_at < v_now;
  select coalesce(sum(slots), 0) into v_n from endpoint_leases where webhook_id = p_webhook;
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

/**
 * A holder's block of slots at a webhook's endpoint: asks for `p_want`, is granted what
 * the others leave (no more than a fair share while others wait), and returns it. The
 * row never records fewer slots than the holder has in use (`p_in_use`): requests
 * already running count until they end, so the sum over holders never passes `p_max`.
 * `p_want` 0 with nothing in use gives the block back.
 */
const GRANT_FUNCTION = `
create or replace function hookbridge_endpoint_grant(p_webhook text, p_holder text, p_want int, p_in_use int, p_lease bigint, p_max int) returns int as $$
declare
  v_now bigint;
  v_others int;
  v_waiting int;
  v_grant int;
begin
  perform pg_advisory_xact_lock(hashtext('hookbridge-endpoint:' || p_webhook));
  v_now := (extract(epoch from clock_timestamp()) * 1000)::bigint;
  delete from endpoint_leases where webhook_id = p_webhook and expires_at < v_now;
  if p_want <= 0 and p_in_use <= 0 then
    delete from endpoint_leases where webhook_id = p_webhook and holder = p_holder;
    return 0;
  end if;
  select coalesce(sum(slots), 0), count(*) filter (where wants > slots) into v_others, v_waiting
    from endpoint_leases where webhook_id = p_webhook and holder <> p_holder;
  v_grant := least(p_want, greatest(0, p_max - v_others));
  if v_waiting > 0 then v_grant := least(v_grant, greatest(1, p_max / (v_waiting + 1))); end if;
  insert into endpoint_leases (webhook_id, holder, expires_at, slots, wants)
    values (p_webhook, p_holder, v_now + p_lease, greatest(v_grant, p_in_use), p_want)
    on conflict (webhook_id, holder) do update set expires_at = excluded.expires_at, slots = excluded.slots, wants = excluded.wants;
  return v_grant;
end $$ language plpgsql`;

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; restore from a backup to go back');
}
