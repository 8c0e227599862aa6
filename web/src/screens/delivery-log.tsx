/** A webhook's deliveries, newest first (GET /v1/webhooks/{id}/logs), with a status filter and paging. */
import { useEffect, useState } from 'preact/hooks';
import { useGet } from '../hooks';
import { qs } from '../api';
import { fmtMs, fmtTime } from '../format';
import type { LogRecord } from '../types';
import { Empty, ErrorBox, Field, Link, Loading, Pager, StatusBadge } from '../ui';

export function DeliveryLog({ webhookId, refresh = 0 }: { webhookId: string; refresh?: number }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const logs = useGet<LogRecord[]>(`/v1/webhooks/${webhookId}/logs${qs({ limit: 20, offset, status })}`);
  useEffect(() => {
    if (refresh) logs.reload();
  }, [refresh]);
  return (
    <section aria-labelledby="log-title">
      <div class="section-head">
        <h2 id="log-title">Deliveries</h2>
        <Field label="Status" class="inline">
          {(id) => (
            <select
              id={id}
              value={status}
              onChange={(e) => {
                setStatus(e.currentTarget.value);
                setOffset(0);
              }}
            >
              <option value="">all</option>
              <option value="delivered">delivered</option>
              <option value="failed">failed</option>
              <option value="pending">pending</option>
            </select>
          )}
        </Field>
        <button type="button" class="secondary" onClick={logs.reload}>
          Refresh
        </button>
      </div>
      <ErrorBox error={logs.error} />
      {logs.loading && !logs.data && <Loading what="Loading deliveries" />}
      {logs.data && !logs.data.length && <Empty>No deliveries{status ? ` with status ${status}` : ''} yet.</Empty>}
      {logs.data && logs.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">HTTP</th>
              <th scope="col">Time taken</th>
              <th scope="col">Attempts</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {logs.data.map((d) => (
              <tr key={d.id}>
                <td data-label="Time">{fmtTime(d.createdAt)}</td>
                <td data-label="Event">
                  <code>{d.eventType}</code>
                </td>
                <td data-label="Status">
                  <StatusBadge status={d.status} />
                </td>
                <td data-label="HTTP">{d.response?.statusCode ?? '—'}</td>
                <td data-label="Time taken">{fmtMs(d.responseTime)}</td>
                <td data-label="Attempts">{d.attempts}</td>
                <td data-label="Detail">
                  <Link href={`/deliveries/${d.id}`} aria-label={`Attempts of delivery ${d.id}`}>
                    Attempts
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pagination={logs.pagination} onOffset={setOffset} />
    </section>
  );
}
