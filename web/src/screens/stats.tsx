/** Statistics over time: success rate and p50/p95/p99 latency, for the project, one webhook, or one event type. */
import { qs } from '../api';
import { useGet } from '../hooks';
import { setQuery, type Location } from '../router';
import { fmtMs, fmtRate } from '../format';
import { EVENT_PAGE, WEBHOOK_PAGE, type EventType, type Webhook } from '../types';
import { Empty, ErrorBox, Field, Loading, PageTitle, WebhookOptions } from '../ui';
import { LineChart } from './chart';

interface Point {
  start: string;
  total: number;
  successful: number;
  failed: number;
  successRate: number | null;
  attempts: number;
  responseTimes: { average: number; p50: number; p95: number; p99: number } | null;
}
interface SeriesAnswer {
  bucketSeconds: number;
  points: Point[];
}

const RANGES: Record<string, { label: string; hours: number; buckets: number }> = {
  '1h': { label: 'last hour', hours: 1, buckets: 12 },
  '24h': { label: 'last 24 hours', hours: 24, buckets: 24 },
  '7d': { label: 'last 7 days', hours: 168, buckets: 28 },
  '30d': { label: 'last 30 days', hours: 720, buckets: 30 },
};

export function StatsPage({ loc }: { loc: Location }) {
  const webhookId = loc.query.get('webhookId') ?? '';
  const eventType = loc.query.get('eventType') ?? '';
  const range = RANGES[loc.query.get('range') ?? ''] ? loc.query.get('range')! : '24h';
  const r = RANGES[range];
  // The window ends at the next minute so repeated visits share one URL (and one answer).
  const end = Math.ceil(Date.now() / 60_000) * 60_000;
  const hooks = useGet<Webhook[]>(WEBHOOK_PAGE);
  const types = useGet<EventType[]>(EVENT_PAGE);
  const series = useGet<SeriesAnswer>(
    `/v1/stats/series${qs({ webhookId, eventType, buckets: r.buckets, startDate: new Date(end - r.hours * 3600_000).toISOString(), endDate: new Date(end).toISOString() })}`,
  );
  const pts = series.data?.points ?? [];
  const times = pts.map((p) => Date.parse(p.start));
  const total = pts.reduce((a, p) => a + p.total, 0);
  const ok = pts.reduce((a, p) => a + p.successful, 0);
  const bad = pts.reduce((a, p) => a + p.failed, 0);

  return (
    <>
      <PageTitle>Statistics</PageTitle>
      <div class="grid-3 filters">
        <Field label="Webhook">
          {(id) => (
            <select id={id} value={webhookId} onChange={(e) => setQuery('webhookId', e.currentTarget.value || undefined)}>
              <WebhookOptions webhooks={hooks.data} />
            </select>
          )}
        </Field>
        <Field label="Event type">
          {(id) => (
            <select id={id} value={eventType} onChange={(e) => setQuery('eventType', e.currentTarget.value || undefined)}>
              <option value="">all event types</option>
              {(types.data ?? []).map((t) => (
                <option key={t.name}>{t.name}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Period">
          {(id) => (
            <select id={id} value={range} onChange={(e) => setQuery('range', e.currentTarget.value)}>
              {Object.entries(RANGES).map(([k, v]) => (
                <option key={k} value={k}>
                  {v.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={series.error} />
      {series.loading && !series.data && <Loading what="Loading statistics" />}
      {series.data && (
        <>
          <ul class="kpis">
            <li>
              <span>Deliveries</span> <strong data-testid="stats-total">{total}</strong>
            </li>
            <li>
              <span>Success rate</span> <strong>{fmtRate(ok + bad ? ok / (ok + bad) : null)}</strong>
            </li>
            <li>
              <span>Failed</span> <strong>{bad}</strong>
            </li>
          </ul>
          {!total && <Empty>No deliveries in this period{webhookId || eventType ? ' for this selection' : ''}.</Empty>}
          <div class="grid-2">
            <LineChart
              title={`Success rate, ${r.label}`}
              unit="%"
              max={100}
              times={times}
              series={[{ label: 'success %', color: '#1a7f37', values: pts.map((p) => (p.successRate === null ? null : p.successRate * 100)) }]}
            />
            <LineChart
              title={`Response time percentiles, ${r.label}`}
              unit="ms"
              times={times}
              series={[
                { label: 'p50', color: '#0b5cad', values: pts.map((p) => p.responseTimes?.p50 ?? null) },
                { label: 'p95', color: '#b35900', values: pts.map((p) => p.responseTimes?.p95 ?? null) },
                { label: 'p99', color: '#b3261e', values: pts.map((p) => p.responseTimes?.p99 ?? null) },
              ]}
            />
          </div>
          <details>
            <summary>The numbers as a table</summary>
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">Deliveries</th>
                  <th scope="col">Success rate</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                  <th scope="col">p99</th>
                </tr>
              </thead>
              <tbody>
                {pts.map((p) => (
                  <tr key={p.start}>
                    <td data-label="From">{new Date(p.start).toLocaleString()}</td>
                    <td data-label="Deliveries">{p.total}</td>
                    <td data-label="Success rate">{fmtRate(p.successRate)}</td>
                    <td data-label="p50">{fmtMs(p.responseTimes?.p50)}</td>
                    <td data-label="p95">{fmtMs(p.responseTimes?.p95)}</td>
                    <td data-label="p99">{fmtMs(p.responseTimes?.p99)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </>
  );
}
