/** Inbound sources and the requests each received; the rating app's Okdesk webhooks, refused ones included. */
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { useGet } from '../hooks';
import { fmtTime } from '../format';
import { Code, Empty, ErrorBox, Field, HeadersTable, Link, Loading, PageTitle, Pager, StatusBadge } from '../ui';

interface Source {
  id: string;
  name: string;
  path: string;
  url: string;
  verification: { type: string };
  action: { type: string; eventType?: string };
  active: boolean;
  createdAt: string;
}
interface InboundRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: string;
  /** `{ok, type}` when checked, `{ok: false, status}` when refused; older servers answer a word. */
  verification: string | { ok?: boolean; type?: string; status?: number } | null;
  dedupeKey: string | null;
  status: string;
  error: string | null;
  receivedAt: string;
}
interface OkdeskWebhook {
  id: string;
  eventType: string | null;
  issueId: string | null;
  outcome: string;
  error: string | null;
  body: string;
  receivedAt: string;
}

const verificationText = (v: InboundRequest['verification']) =>
  !v ? '—' : typeof v === 'string' ? v : v.ok ? `passed${v.type ? ` (${v.type})` : ''}` : `failed${v.status ? ` (${v.status})` : ''}`;

export function SourcesPage() {
  const sources = useGet<Source[]>('/v1/sources?limit=1000');
  return (
    <>
      <PageTitle>Sources</PageTitle>
      <p class="muted">Endpoints third parties post webhooks to. Each source keeps the requests it received, the refused ones too (bad signature 401, origin 403, too large 413, rate limit 429) with the reason.</p>
      <ErrorBox error={sources.error} />
      {sources.loading && !sources.data && <Loading what="Loading sources" />}
      {sources.data && !sources.data.length && <Empty>No inbound sources. Create one with POST /v1/sources.</Empty>}
      {sources.data && sources.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">URL</th>
              <th scope="col">Verification</th>
              <th scope="col">Action</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {sources.data.map((s) => (
              <tr key={s.id}>
                <td data-label="Name">
                  <Link href={`/sources/${s.id}`}>{s.name}</Link>
                </td>
                <td data-label="URL">
                  <code>{s.url}</code>
                </td>
                <td data-label="Verification">{s.verification.type}</td>
                <td data-label="Action">
                  {s.action.type}
                  {s.action.eventType && <> → <code>{s.action.eventType}</code></>}
                </td>
                <td data-label="Status">
                  <StatusBadge status={s.active ? 'active' : 'inactive'} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OkdeskWebhooks />
    </>
  );
}

/** Shown when the rating app runs: what Okdesk sent, with the outcome (refused ones with the reason). */
function OkdeskWebhooks() {
  const [offset, setOffset] = useState(0);
  const hooks = useGet<OkdeskWebhook[]>(`/v1/okdesk/webhooks${qs({ limit: 20, offset })}`);
  if (hooks.error?.status === 404) return null;
  return (
    <section aria-labelledby="okdesk-title">
      <h2 id="okdesk-title">Okdesk webhooks (rating app)</h2>
      <ErrorBox error={hooks.error} />
      {hooks.data && !hooks.data.length && <Empty>Okdesk has sent nothing yet.</Empty>}
      {hooks.data?.map((h) => (
        <details key={h.id} class="card">
          <summary>
            {fmtTime(h.receivedAt)} <code>{h.eventType ?? '?'}</code> issue {h.issueId ?? '—'} <StatusBadge status={h.outcome} /> {h.error}
          </summary>
          <Code value={h.body} label="Body" />
        </details>
      ))}
      <Pager pagination={hooks.pagination} onOffset={setOffset} />
    </section>
  );
}

export function SourceRequests({ id }: { id: string }) {
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState('');
  const source = useGet<Source>(`/v1/sources/${id}`);
  const reqs = useGet<InboundRequest[]>(`/v1/sources/${id}/requests${qs({ limit: 20, offset, status })}`);
  return (
    <>
      <PageTitle actions={<button type="button" class="secondary" onClick={reqs.reload}>Refresh</button>}>
        {source.data ? `Source ${source.data.name}` : 'Source'}
      </PageTitle>
      {source.data && (
        <p>
          Receives at <code>{source.data.url}</code>, verification {source.data.verification.type}, action {source.data.action.type}.
        </p>
      )}
      <Field label="Show" class="inline">
        {(fid) => (
          <select id={fid} value={status} onChange={(e) => (setStatus(e.currentTarget.value), setOffset(0))}>
            <option value="">all requests</option>
            <option value="processed">processed</option>
            <option value="failed">failed (the action failed)</option>
            <option value="duplicate">duplicate</option>
            <option value="refused">refused</option>
          </select>
        )}
      </Field>
      <ErrorBox error={source.error ?? reqs.error} />
      {reqs.loading && !reqs.data && <Loading what="Loading requests" />}
      {reqs.data && !reqs.data.length && <Empty>No {status ? `${status} ` : ''}requests yet.</Empty>}
      {reqs.data?.map((r) => (
        <details key={r.id} class="card">
          <summary>
            {fmtTime(r.receivedAt)} <code>{r.method}</code> <StatusBadge status={r.status} /> verification: {verificationText(r.verification)}
            {r.dedupeKey ? ` · id ${r.dedupeKey}` : ''} {r.error && <span class="reason"> — {r.error}</span>}
          </summary>
          <p>
            <code>{r.url}</code>
          </p>
          <HeadersTable headers={r.headers} caption="Headers" />
          <Code value={r.bodyEncoding === 'base64' ? `(base64) ${r.body}` : r.body} label="Body" />
        </details>
      ))}
      <Pager pagination={reqs.pagination} onOffset={setOffset} />
    </>
  );
}
