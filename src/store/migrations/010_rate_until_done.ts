import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * A rate-limited send counts until a window after it ended, not after it was stamped.
 * It was stamped before the request left and counted for a fixed window from there, so a
 * request held up on the way (a starved sender, a receiver slow to read) reached the
 * receiver in the next window's second: 21 arrivals in one second for a limit of 20 (CI).
 *
 * `hookbridge_endpoint_take` stamps a send as if it ended when its lease does; the worker's
 * release re-stamps it with the moment it really ended (endpoint-gate.ts). A worker that
 * dies mid-send leaves its send counted until its lease ends plus the window. The wait it
 * returns is at most one window: a send still in flight frees nothing before that.
 *
 * 009's `hookbridge_endpoint_acquire` stays for processes not yet upgraded during a
 * rolling upgrade (their sends count a window from their stamp, as before).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql.raw(TAKE_FUNCTION).execute(db);
}

const TAKE_FUNCTION = `
create or replace function hookbridge_endpoint_take(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int, p_window bigint) returns bigint as $$
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
    if v_n >= p_rate then return least(p_window, greatest(1, v_oldest + p_window - v_now)); end if;
    insert into endpoint_sends (webhook_id, holder, sent_at) values (p_webhook, p_holder, v_now + p_lease);
  end if;
  insert into endpoint_leases (webhook_id, holder, expires_at) values (p_webhook, p_holder, v_now + p_lease);
  return 0;
end $$ language plpgsql`;
