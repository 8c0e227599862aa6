/** App jobs (a Telegram message, a helpdesk comment): status, attempts and their log, and retry. */
import { useState } from 'preact/hooks';
import { api, qs, type ApiError } from '../api';
import { useGet } from '../hooks';
import { setQuery, type Location } from '../router';
import { fmtTime } from '../format';
import { Code, Empty, ErrorBox, Field, Loading, PageTitle, Pager, StatusBadge } from '../ui';

interface Job {
  id: string;
  kind: string;
  status: 'pending' | 'done' | 'failed';
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  log: Array<{ at: string | number; attempt: number; ms?: number; error?: string | null }>;
  createdAt: string;
  finishedAt: string | null;
}

export function JobsPage({ loc }: { loc: Location }) {
  const status = loc.query.get('status') ?? '';
  const [offset, setOffset] = useState(0);
  const jobs = useGet<Job[]>(`/v1/jobs${qs({ status, limit: 50, offset })}`);
  const [retried, setRetried] = useState<Record<string, Job | ApiError>>({});
  const retry = async (id: string) => {
    try {
      const r = await api<Job>('POST', `/v1/jobs/${id}/retry`);
      setRetried((m) => ({ ...m, [id]: r.data }));
    } catch (e) {
      setRetried((m) => ({ ...m, [id]: e as ApiError }));
    }
  };
  return (
    <>
      <PageTitle actions={<button type="button" class="secondary" onClick={() => (setRetried({}), jobs.reload())}>Refresh</button>}>Jobs</PageTitle>
      <p class="muted">Work the built-in apps do with retries: Telegram messages, helpdesk comments. A job that keeps failing ends failed with its reason; retry runs it again with a fresh budget.</p>
      <Field label="Status" class="inline">
        {(id) => (
          <select id={id} value={status} onChange={(e) => (setOffset(0), setQuery('status', e.currentTarget.value || undefined))}>
            <option value="">all</option>
            <option value="pending">pending</option>
            <option value="failed">failed</option>
            <option value="done">done</option>
          </select>
        )}
      </Field>
      <ErrorBox error={jobs.error} />
      {jobs.loading && !jobs.data && <Loading what="Loading jobs" />}
      {jobs.data && !jobs.data.length && <Empty>No jobs{status ? ` with status ${status}` : ''}.</Empty>}
      {jobs.data?.map((j) => {
        const r = retried[j.id];
        return (
          <details key={j.id} class="card job">
            <summary>
              <code>{j.kind}</code> <StatusBadge status={r && !(r instanceof Error) ? r.status : j.status} /> {j.attempts}/{j.maxAttempts} attempts · {fmtTime(j.createdAt)}
              {j.lastError && <span class="reason"> — {j.lastError}</span>}
            </summary>
            {j.status !== 'done' && !(r && !(r instanceof Error)) && (
              <button type="button" onClick={() => void retry(j.id)}>
                Retry job
              </button>
            )}
            {r instanceof Error && <ErrorBox error={r} />}
            {j.nextAttemptAt && <p class="muted">Next attempt {fmtTime(j.nextAttemptAt)}</p>}
            <h3>Attempts</h3>
            {!j.log.length ? (
              <p class="muted">None yet.</p>
            ) : (
              <ol>
                {j.log.map((l, i) => (
                  <li key={i}>
                    {fmtTime(typeof l.at === 'number' ? new Date(l.at).toISOString() : l.at)}: {l.error ? <span class="reason">{l.error}</span> : 'ok'}
                    {l.ms !== undefined && <span class="muted"> ({l.ms} ms)</span>}
                  </li>
                ))}
              </ol>
            )}
            <h3>Payload</h3>
            <Code value={j.payload} label="Payload" />
          </details>
        );
      })}
      <Pager pagination={jobs.pagination} onOffset={setOffset} />
    </>
  );
}
