import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * PostgreSQL's per-request endpoint slot takes the rate window from its caller (the same
 * constant the Redis gate uses) instead of a fixed 1100 ms. A send is stamped inside the
 * slot's round trip, before the request leaves; on a busy process the request reached the
 * receiver up to 113 ms after its stamp, so a 100 ms margin let 21–25 requests into some
 * second at the receiver for a limit of 20.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql.raw(ACQUIRE_FUNCTION).execute(db);
  await sql.raw(OLD_SIGNATURE).execute(db);
}

/**
 * The 5-argument form stays, with 008's 1100 ms: during a rolling upgrade the processes
 * not yet replaced still call it and must keep holding the limits, not fail over to
 * per-process ones. A later migration may drop it.
 */
const OLD_SIGNATURE = `
create or replace function hookbridge_endpoint_acquire(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int) returns bigint as $$
  select hookbridge_endpoint_acquire(p_webhook, p_holder, p_lease, p_max, p_rate, 1100::bigint)
$$ language sql`;

/** Migration 008's function, with `p_window` in place of 1100. */
const ACQUIRE_FUNCTION = `
create or replace function hookbridge_endpoint_acquire(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int, p_window bigint) returns bigint as $$
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
    delete from endpoint_sends where webhook_id = p_webhook and sent_at <= v_now - p_window;
    select count(*), min(sent_at) into v_n, v_oldest from endpoint_sends where webhook_id = p_webhook;
    if v_n >= p_rate then return greatest(1, v_oldest + p_window - v_now); end if;
    insert into endpoint_sends (webhook_id, holder, sent_at) values (p_webhook, p_holder, v_now);
  end if;
  insert into endpoint_leases (webhook_id, holder, expires_at) values (p_webhook, p_holder, v_now + p_lease);
  return 0;
end $$ language plpgsql`;
