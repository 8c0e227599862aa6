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
 * A rolling upgrade runs processes not yet replaced beside the new ones: they still call
 * 009's `hookbridge_endpoint_acquire` (kept), which stamps a send before it leaves and
 * counts it OLD_WINDOW_MS from that stamp. So sends taken here are marked (`~` before the
 * holder; the release re-stamps the marked row) and count the window after they ended;
 * unmarked rows are old processes' stamps and count OLD_WINDOW_MS from it, as those
 * processes expect. Old processes see the marked rows and count them at least as long.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql.raw(TAKE_FUNCTION).execute(db);
}

/** The window 009's processes count a send over, from its stamp (008's used 1100). */
export const OLD_WINDOW_MS = 1200;

const TAKE_FUNCTION = `
create or replace function hookbridge_endpoint_take(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int, p_window bigint) returns bigint as $$
declare
  v_now bigint;
  v_n int;
  v_free bigint;
  v_old constant bigint := greatest(p_window, ${OLD_WINDOW_MS});
begin
  perform pg_advisory_xact_lock(hashtext('hookbridge-endpoint:' || p_webhook));
  v_now := (extract(epoch from clock_timestamp()) * 1000)::bigint;
  delete from endpoint_leases where webhook_id = p_webhook and expires_at < v_now;
  select coalesce(sum(slots), 0) into v_n from endpoint_leases where webhook_id = p_webhook;
  if v_n >= p_max then return 10; end if;
  if p_rate > 0 then
    delete from endpoint_sends where webhook_id = p_webhook
      and sent_at <= v_now - case when left(holder, 1) = '~' then p_window else v_old end;
    select count(*), min(sent_at + case when left(holder, 1) = '~' then p_window else v_old end) into v_n, v_free
      from endpoint_sends where webhook_id = p_webhook;
    if v_n >= p_rate then return least(p_window, greatest(1, v_free - v_now)); end if;
    insert into endpoint_sends (webhook_id, holder, sent_at) values (p_webhook, '~' || p_holder, v_now + p_lease);
  end if;
  insert into endpoint_leases (webhook_id, holder, expires_at) values (p_webhook, p_holder, v_now + p_lease);
  return 0;
end $$ language plpgsql`;
