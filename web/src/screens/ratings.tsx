/** Helpdesk rating statistics: the score distribution, times, top problems, the ratings themselves and the CSV. */
import { useState } from 'preact/hooks';
import { download, qs } from '../api';
import { useAction, useGet } from '../hooks';
import { fmtSeconds, fmtTime } from '../format';
import { Empty, ErrorBox, Field, Loading, PageTitle, Pager, StatusBadge } from '../ui';

interface RatingStats {
  count: number;
  average: number | null;
  distribution: Record<string, number>;
  resolutionTime: { average: number | null; p50: number | null };
  ratingDelay: { average: number | null; p50: number | null };
  topProblems: Array<{ label: string; count: number }>;
  requested?: number;
  noChat?: number;
}
interface Rating {
  id: string;
  issueId: string;
  title: string | null;
  status: string;
  score: number | null;
  resolvedAt: string | null;
  ratedAt: string | null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function RatingsPage() {
  const [from, setFrom] = useState(() => day(new Date(Date.now() - 30 * 86400_000)));
  const [to, setTo] = useState(() => day(new Date(Date.now() + 86400_000)));
  const [offset, setOffset] = useState(0);
  const range = { from: from && `${from}T00:00:00Z`, to: to && `${to}T00:00:00Z` };
  const period = qs(range);
  const stats = useGet<RatingStats>(`/v1/ratings/stats${period}`);
  const ratings = useGet<Rating[]>(`/v1/ratings${qs({ ...range, limit: 50, offset })}`);
  const csv = useAction(() => download(`/v1/ratings/export.csv${period}`, 'ratings.csv'));

  if (stats.error?.status === 404 && stats.error.message.startsWith('Route')) {
    return (
      <>
        <PageTitle>Ratings</PageTitle>
        <Empty>The helpdesk rating app is off on this server: it runs when OKDESK_API_URL is set.</Empty>
      </>
    );
  }
  const s = stats.data;
  const most = Math.max(1, ...Object.values(s?.distribution ?? {}));
  return (
    <>
      <PageTitle
        actions={
          <button type="button" class="secondary" disabled={csv.busy} onClick={() => void csv.run()}>
            Download CSV
          </button>
        }
      >
        Ratings
      </PageTitle>
      <div class="grid-3 filters">
        <Field label="Resolved from">{(id) => <input id={id} type="date" value={from} onInput={(e) => (setFrom(e.currentTarget.value), setOffset(0))} />}</Field>
        <Field label="Resolved before">{(id) => <input id={id} type="date" value={to} onInput={(e) => (setTo(e.currentTarget.value), setOffset(0))} />}</Field>
      </div>
      <ErrorBox error={stats.error ?? csv.error} />
      {stats.loading && !s && <Loading what="Loading rating statistics" />}
      {s && (
        <>
          <ul class="kpis">
            <li>
              <span>Ratings</span> <strong>{s.count}</strong>
            </li>
            <li>
              <span>Average</span> <strong>{s.count && s.average !== null ? s.average.toFixed(2) : '—'}</strong>
            </li>
            <li>
              <span>Asked</span> <strong>{s.requested ?? '—'}</strong>
            </li>
            <li>
              <span>Resolution time (median)</span> <strong>{fmtSeconds(s.resolutionTime.p50)}</strong>
            </li>
            <li>
              <span>Rating delay (median)</span> <strong>{fmtSeconds(s.ratingDelay.p50)}</strong>
            </li>
          </ul>
          <figure class="chart">
            <figcaption>Score distribution</figcaption>
            <table class="bars">
              <tbody>
                {['5', '4', '3', '2', '1'].map((k) => (
                  <tr key={k}>
                    <th scope="row">{k} ★</th>
                    <td>
                      <span class="bar" style={{ width: `${((s.distribution[k] ?? 0) / most) * 100}%` }} />
                      <span class="bar-value">{s.distribution[k] ?? 0}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </figure>
          {s.topProblems.length > 0 && (
            <section aria-labelledby="top-title">
              <h2 id="top-title">Rated most often</h2>
              <ol>
                {s.topProblems.map((p) => (
                  <li key={p.label}>
                    {p.label} — {p.count}
                  </li>
                ))}
              </ol>
            </section>
          )}
        </>
      )}
      <h2>Rating requests</h2>
      <ErrorBox error={ratings.error} />
      {ratings.data && !ratings.data.length && <Empty>No issue was resolved in this period.</Empty>}
      {ratings.data && ratings.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Issue</th>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Score</th>
              <th scope="col">Resolved</th>
              <th scope="col">Rated</th>
            </tr>
          </thead>
          <tbody>
            {ratings.data.map((r) => (
              <tr key={r.id}>
                <td data-label="Issue">{r.issueId}</td>
                <td data-label="Title">{r.title ?? '—'}</td>
                <td data-label="Status">
                  <StatusBadge status={r.status} />
                </td>
                <td data-label="Score">{r.score ?? '—'}</td>
                <td data-label="Resolved">{fmtTime(r.resolvedAt)}</td>
                <td data-label="Rated">{fmtTime(r.ratedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* Oldest first: the next page is later. */}
      <Pager pagination={ratings.pagination} onOffset={setOffset} back="Earlier" forward="Later" />
    </>
  );
}
