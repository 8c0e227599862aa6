/** The errors page: every failed delivery across webhooks, with status code and reason, retry buttons, and replay of a window. */
import { useState } from 'preact/hooks';
import { api, qs, type ApiError } from '../api';
import { useGet } from '../hooks';
import { setQuery, type Location } from '../router';
import { fmtTime } from '../format';
import { WEBHOOK_PAGE, type LogRecord, type Webhook } from '../types';
import { Empty, ErrorBox, Field, Link, Loading, PageTitle, Pager, StatusBadge, WebhookOptions } from '../ui';
import { ReplayForm } from './replay';

export function ErrorsPage({ loc }: { loc: Location }) {
  const webhookId = loc.query.get('webhookId') ?? '';
  const [offset, setOffset] = useState(0);
  const hooks = useGet<Webhook[]>(WEBHOOK_PAGE);
  const failed = useGet<LogRecord[]>(`/v1/deliveries${qs({ status: 'failed', webhookId, limit: 50, offset })}`);
  const [retried, setRetried] = useState<Record<string, LogRecord | ApiError>>({});

  const retry = async (id: string) => {
    try {
      const r = await api<LogRecord>('POST', `/v1/deliveries/${id}/retry`);
      setRetried((m) => ({ ...m, [id]: r.data }));
    } catch (e) {
      setRetried((m) => ({ ...m, [id]: e as ApiError }));
    }
  };

  return (
    <>
      <PageTitle
        actions={
          <button type="button" class="secondary" onClick={() => (setRetried({}), failed.reload())}>
            Refresh
          </button>
        }
      >
        Errors
      </PageTitle>
      <p class="muted">Deliveries that failed for good: every attempt was refused, timed out or could not connect. Retry one, or replay a time window below.</p>
      <Field label="Webhook" class="inline">
        {(id) => (
          <select
            id={id}
            value={webhookId}
            onChange={(e) => {
              setOffset(0);
              setQuery('webhookId', e.currentTarget.value || undefined);
            }}
          >
            <WebhookOptions webhooks={hooks.data} />
          </select>
        )}
      </Field>
      <ErrorBox error={failed.error} />
      {failed.loading && !failed.data && <Loading what="Loading failed deliveries" />}
      {failed.data && !failed.data.length && <Empty>No failed deliveries. Everything sent was received.</Empty>}
      {failed.data && failed.data.length > 0 && (
        <table class="stack errors-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Webhook</th>
              <th scope="col">Event</th>
              <th scope="col">Status code</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempts</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {failed.data.map((d) => {
              const r = retried[d.id];
              return (
                <tr key={d.id} data-delivery={d.id}>
                  <td data-label="Time">{fmtTime(d.createdAt)}</td>
                  <td data-label="Webhook">
                    <Link href={`/webhooks/${d.webhookId}`}>{d.webhookName ?? d.webhookId}</Link>
                  </td>
                  <td data-label="Event">
                    <code>{d.eventType}</code>
                  </td>
                  <td data-label="Status code" class="status-code">
                    {d.statusCode ?? 'none'}
                  </td>
                  <td data-label="Reason" class="reason">
                    {d.error ?? '—'}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Actions">
                    <span class="row-actions">
                      {r && !(r instanceof Error) ? (
                        <span role="status">
                          Queued: <StatusBadge status={(r as LogRecord).status} />
                        </span>
                      ) : (
                        <button type="button" aria-label={`Retry delivery ${d.id}`} onClick={() => void retry(d.id)}>
                          Retry
                        </button>
                      )}
                      <Link href={`/deliveries/${d.id}`} aria-label={`Attempts of delivery ${d.id}`}>
                        Attempts
                      </Link>
                    </span>
                    {r instanceof Error && <ErrorBox error={r} />}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager pagination={failed.pagination} onOffset={setOffset} />
      <ReplayForm webhooks={hooks.data ?? []} initial={webhookId} onDone={failed.reload} />
    </>
  );
}
