/** Webhooks grouped by event ("event → actions"): each event with the webhooks it goes to, in the order they were added. */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api';
import { useGet } from '../hooks';
import { fmtRate, fmtTime } from '../format';
import { EVENT_PAGE, WEBHOOK_PAGE, patternMatches, type EventType, type Webhook, type WebhookStats } from '../types';
import { Empty, ErrorBox, Link, Loading, PageTitle, StatusBadge } from '../ui';

export const webhookStatus = (w: Pick<Webhook, 'active' | 'disabledReason'>) => (w.active ? 'active' : w.disabledReason ? 'disabled' : 'inactive');

/** Each webhook's last-24-hours stats, fetched four at a time. */
function useStats(ids: string[]): Map<string, WebhookStats | Error> {
  const [stats, setStats] = useState(new Map<string, WebhookStats | Error>());
  const key = ids.join(',');
  useEffect(() => {
    let stop = false;
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id && !stop; id = queue.shift()) {
        const r = await get<WebhookStats>(`/v1/webhooks/${id}/stats`).then((x) => x.data, (e: Error) => e);
        if (!stop) setStats((m) => new Map(m).set(id, r));
      }
    };
    void Promise.all([worker(), worker(), worker(), worker()]);
    return () => void (stop = true);
  }, [key]);
  return stats;
}

/**
 * A webhook's last-24-hours figures under one of its events. The success rate is counted
 * over all its deliveries, so under a webhook of several events it says so, beside this event's share.
 */
function metric(st: WebhookStats | Error | undefined, type: string): string {
  if (st instanceof Error) return 'stats unavailable';
  if (!st) return '…';
  const { total, successRate } = st.delivery;
  if (!total) return 'no deliveries';
  const here = st.events[type] ?? 0;
  if (here === total) return `${fmtRate(successRate)} of ${total} delivered`;
  return `${here} of this event · ${fmtRate(successRate)} of all ${total} delivered`;
}

export function WebhookList() {
  const hooks = useGet<Webhook[]>(WEBHOOK_PAGE);
  const types = useGet<EventType[]>(EVENT_PAGE);
  const ordered = [...(hooks.data ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const stats = useStats(ordered.map((w) => w.id));
  const catalog = [...(types.data ?? [])].sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
  const groups = catalog.map((t) => ({ type: t, actions: ordered.filter((w) => w.events.some((p) => patternMatches(p, t.name))) })).filter((g) => g.actions.length);

  return (
    <>
      <PageTitle
        actions={
          <Link href="/webhooks/new" class="button">
            New webhook
          </Link>
        }
      >
        Webhooks
      </PageTitle>
      <p class="muted">Each event and the webhooks (actions) it is delivered to, in the order they were added. Success rates cover the last 24 hours.</p>
      <ErrorBox error={hooks.error ?? types.error} />
      {(hooks.loading || types.loading) && <Loading what="Loading webhooks" />}
      {hooks.data && types.data && !ordered.length && (
        <Empty>
          <p>No webhooks yet.</p>
          <p>
            <Link href="/webhooks/new">Create the first webhook</Link> to have events delivered to your endpoint.
          </p>
        </Empty>
      )}
      {groups.map((g) => (
        <section class="event-group" key={g.type.name} aria-labelledby={`ev-${g.type.name}`}>
          <h2 id={`ev-${g.type.name}`}>
            <code>{g.type.name}</code> <span class="muted small">{g.type.category}</span>
          </h2>
          <ol class="actions-list">
            {g.actions.map((w) => {
              const st = stats.get(w.id);
              return (
                <li key={w.id} class="action-row">
                  <div class="action-main">
                    <Link href={`/webhooks/${w.id}`}>{w.name}</Link>
                    <span class="url">{w.url}</span>
                  </div>
                  <StatusBadge status={webhookStatus(w)} />
                  <span class="metric" title="Last 24 hours">
                    {metric(st, g.type.name)}
                  </span>
                  <span class="metric">Last delivery: {fmtTime(w.lastDelivery)}</span>
                </li>
              );
            })}
          </ol>
        </section>
      ))}
    </>
  );
}
