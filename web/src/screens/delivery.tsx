/** One delivery with every attempt: the request sent (method, URL, headers, body) and the response (status, headers, body). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useGet } from '../hooks';
import { fmtMs, fmtTime } from '../format';
import type { Attempt, LogRecord } from '../types';
import { Code, Empty, ErrorBox, HeadersTable, Link, Loading, PageTitle, StatusBadge } from '../ui';

type Detail = LogRecord & { attemptLog: Attempt[] };

export function DeliveryDetail({ id }: { id: string }) {
  const d = useGet<Detail>(`/v1/deliveries/${id}`);
  // After a retry, look again every second while the delivery is pending (ten times at
  // most), so the page shows the outcome without a Refresh.
  const [polls, setPolls] = useState(0);
  const retry = useAction(async () => {
    await api('POST', `/v1/deliveries/${id}/retry`);
    setPolls(0);
    d.reload();
    return true;
  });
  const following = !!retry.result && d.data?.status === 'pending' && polls < 10;
  useEffect(() => {
    if (!following) return;
    const t = setTimeout(() => (setPolls((n) => n + 1), d.reload()), 1000);
    return () => clearTimeout(t);
  }, [following, d.data]);
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading what="Loading the delivery" />;
  const x = d.data;
  return (
    <>
      <PageTitle
        actions={
          <>
            <button type="button" disabled={retry.busy || x.status === 'pending'} onClick={() => void retry.run()}>
              {retry.busy ? 'Retrying…' : 'Retry now'}
            </button>
            <button type="button" class="secondary" onClick={d.reload}>
              Refresh
            </button>
          </>
        }
      >
        Delivery <code>{x.id}</code>
      </PageTitle>
      <ErrorBox error={retry.error} />
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={x.status} /> {x.nextAttemptAt && <span class="muted">next attempt {fmtTime(x.nextAttemptAt)}</span>}
        </dd>
        <dt>Event</dt>
        <dd>
          <code>{x.eventType}</code> <span class="muted small">{x.eventId}</span>
        </dd>
        <dt>Webhook</dt>
        <dd>
          <Link href={`/webhooks/${x.webhookId}`}>{x.webhookId}</Link>
        </dd>
        <dt>Created</dt>
        <dd>{fmtTime(x.createdAt)}</dd>
        {x.error && (
          <>
            <dt>Reason</dt>
            <dd class="reason">{x.error}</dd>
          </>
        )}
      </dl>
      <h2>Attempts</h2>
      {!x.attemptLog.length && <Empty>No attempt yet: the delivery is waiting for its first try.</Empty>}
      {x.attemptLog.map((a) => (
        <section class="card attempt" key={a.id} aria-labelledby={`att-${a.id}`}>
          <h3 id={`att-${a.id}`}>
            Attempt {a.attempt} <StatusBadge status={a.status} /> <span class="muted small">{fmtTime(a.createdAt)}, {fmtMs(a.duration)}</span>
          </h3>
          {a.error && <p class="reason">Reason: {a.error}</p>}
          {a.retryReason && <p class="muted">Retried because: {a.retryReason}</p>}
          {a.notes && <p class="warning">{a.notes}</p>}
          <div class="grid-2">
            <div>
              <h4>Request</h4>
              <p class="request-line">
                <code>
                  {a.request.method} {a.request.url}
                </code>
              </p>
              <HeadersTable headers={a.request.headers} caption="Request headers" />
              <Code value={a.request.body} label="Request body" />
            </div>
            <div>
              <h4>Response</h4>
              {a.response ? (
                <>
                  <p>
                    HTTP <strong data-testid="attempt-status">{a.response.statusCode}</strong>
                  </p>
                  <HeadersTable headers={a.response.headers} caption="Response headers" />
                  <Code value={a.response.body} label="Response body" />
                </>
              ) : (
                <p class="muted">No response{a.error ? ` (${a.error})` : ''}.</p>
              )}
            </div>
          </div>
        </section>
      ))}
    </>
  );
}
