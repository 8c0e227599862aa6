/** One webhook: settings, last-24-hours numbers, secret, send test, deliveries; edit, pause, delete. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useGet } from '../hooks';
import { navigate } from '../router';
import { fmtMs, fmtRate, fmtTime } from '../format';
import { EVENT_PAGE, type EventType, type Webhook, type WebhookStats } from '../types';
import { ErrorBox, Link, Loading, PageTitle, StatusBadge } from '../ui';
import { webhookStatus } from './webhooks';
import { SecretPanel } from './secret-panel';
import { TestSend } from './test-send';
import { DeliveryLog } from './delivery-log';

export function WebhookDetail({ id }: { id: string }) {
  const loaded = useGet<Webhook>(`/v1/webhooks/${id}`);
  const types = useGet<EventType[]>(EVENT_PAGE);
  const stats = useGet<WebhookStats>(`/v1/webhooks/${id}/stats`);
  const [w, setW] = useState<Webhook>();
  const [refresh, setRefresh] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState(false);
  useEffect(() => setW(loaded.data), [loaded.data]);
  const toggle = useAction(async () => setW((await api<Webhook>('PUT', `/v1/webhooks/${id}`, { active: !w!.active })).data));
  const remove = useAction(async () => {
    await api('DELETE', `/v1/webhooks/${id}`);
    navigate('/webhooks');
  });

  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (!w) return <Loading what="Loading the webhook" />;
  const s = stats.data;
  return (
    <>
      <PageTitle
        actions={
          <>
            <Link href={`/webhooks/${id}/edit`} class="button">
              Edit
            </Link>
            <button type="button" class="secondary" disabled={toggle.busy} onClick={() => void toggle.run()}>
              {w.active ? 'Deactivate' : 'Activate'}
            </button>
            {!confirmDelete ? (
              <button type="button" class="secondary danger" onClick={() => setConfirmDelete(true)}>
                Delete…
              </button>
            ) : (
              <>
                <button type="button" class="danger" disabled={remove.busy} onClick={() => void remove.run()}>
                  Delete for good
                </button>
                <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                  Keep it
                </button>
              </>
            )}
          </>
        }
      >
        {w.name}
      </PageTitle>
      <ErrorBox error={toggle.error ?? remove.error} />
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={webhookStatus(w)} /> {w.disabledReason && <span class="muted">{w.disabledReason}</span>}
        </dd>
        <dt>URL</dt>
        <dd class="url">{w.url}</dd>
        <dt>Events</dt>
        <dd>
          {w.events.map((e) => (
            <code key={e} class="chip">
              {e}
            </code>
          ))}
        </dd>
        <dt>Signature</dt>
        <dd>{w.signature}</dd>
        <dt>Retries</dt>
        <dd>
          {w.retryPolicy.maxRetries} after {w.retryPolicy.retryDelay} ms ×{w.retryPolicy.backoffMultiplier}, at most {w.retryPolicy.maxRetryDelay} ms apart; timeout {w.timeout} ms
        </dd>
        <dt>Request</dt>
        <dd>{w.request ? `template: ${w.request.method ?? 'POST'} ${w.request.format ?? 'json'}, ${w.request.params?.length ?? 0} params` : 'the JSON event envelope'}</dd>
        <dt>Created</dt>
        <dd>{fmtTime(w.createdAt)}</dd>
        <dt>Last delivery</dt>
        <dd>{fmtTime(w.lastDelivery)}</dd>
      </dl>

      <section class="card" aria-labelledby="stats-title">
        <h2 id="stats-title">Last 24 hours</h2>
        <ErrorBox error={stats.error} />
        {s && (
          <ul class="kpis">
            <li>
              <span>Deliveries</span> <strong>{s.delivery.total}</strong>
            </li>
            <li>
              <span>Success rate</span> <strong>{fmtRate(s.delivery.total ? s.delivery.successRate : null)}</strong>
            </li>
            <li>
              <span>Failed</span> <strong>{s.delivery.failed}</strong>
            </li>
            <li>
              <span>p50 / p95 / p99</span>{' '}
              <strong>
                {/* The API answers 0 ms when nothing was measured (the seed's shape): no deliveries, no figure. */}
                {s.delivery.total ? `${fmtMs(s.responseTimes.p50)} / ${fmtMs(s.responseTimes.p95)} / ${fmtMs(s.responseTimes.p99)}` : '—'}
              </strong>
            </li>
          </ul>
        )}
        <Link href={`/stats?webhookId=${id}`}>Charts over time</Link>
      </section>

      <SecretPanel webhook={w} onRotated={setW} />
      <TestSend webhook={w} catalog={types.data ?? []} onSent={() => (setRefresh((r) => r + 1), stats.reload())} />
      <DeliveryLog webhookId={id} refresh={refresh} />
      <p>
        <button type="button" class="secondary" onClick={() => (setRefresh((r) => r + 1), stats.reload())}>
          Refresh numbers and deliveries
        </button>
      </p>
    </>
  );
}
