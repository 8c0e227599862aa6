import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Rate-limited sends that know which version stamped them, so processes of three versions
 * can share one endpoint's limit during a rolling upgrade:
 *
 * - 009's processes call `hookbridge_endpoint_acquire`: a send is stamped before it leaves
 *   and counts OLD_WINDOW_MS from that stamp.
 * - 010's call `hookbridge_endpoint_take`: a send is stamped at its lease's end, re-stamped
 *   by the worker's release when it really ended, and counts a window from the stamp.
 * - Processes from this one on call `hookbridge_endpoint_take_marked` (below): as 010, but
 *   the row is marked (`~` before the holder; the release re-stamps the marked row).
 *
 * 010's function dropped every send stamped more than its window (1010 ms) ago, so a 009
 * process's send, which relies on 1200 ms, could meet a new send in the same second at the
 * receiver. Here an unmarked row (009's or 010's) counts at least OLD_WINDOW_MS from its
 * stamp, a marked one the window. 009's and 010's functions stay as they are for the
 * processes that still call them (rewriting 010's in place would leave databases that had
 * applied it with the old body, and this version's releases would then never find their
 * rows: every send counted until its lease ran out).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql.raw(TAKE_MARKED_FUNCTION).execute(db);
}

/** The window 009's processes count a send over, from its stamp (008's used 1100). */
export const OLD_WINDOW_MS = 1200;

const TAKE_MARKED_FUNCTION = `
create or replace function hookbridge_endpoint_take_marked(p_webhook text, p_holder text, p_lease bigint, p_max int, p_rate int, p_window bigint) returns bigint as $$
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
