/** Portal links: a URL for a customer that opens this dashboard for this project only, until it expires or is revoked. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useGet } from '../hooks';
import { fmtTime } from '../format';
import { CopyButton, Empty, ErrorBox, Field, Loading, PageTitle, StatusBadge } from '../ui';

interface PortalLink {
  id: string;
  hint: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

export function PortalLinksPage() {
  const links = useGet<PortalLink[]>('/v1/portal-links?limit=100');
  const [expiresIn, setExpiresIn] = useState('3600');
  const create = useAction(async () => {
    const r = await api<{ id: string; url: string; expiresAt: string }>('POST', '/v1/portal-links', { expiresIn: Number(expiresIn) });
    links.reload();
    return r.data;
  });
  const revoke = useAction(async (id: string) => {
    await api('DELETE', `/v1/portal-links/${id}`);
    links.reload();
  });
  return (
    <>
      <PageTitle>Portal links</PageTitle>
      <p class="muted">
        Give a customer a link to this dashboard that shows this project only — its webhooks, deliveries, errors, test sends and secrets — and nothing else, until it expires.
      </p>
      <section class="card" aria-labelledby="new-link">
        <h2 id="new-link">New link</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
        >
          <Field label="Valid for">
            {(id) => (
              <select id={id} value={expiresIn} onChange={(e) => setExpiresIn(e.currentTarget.value)}>
                <option value="3600">1 hour</option>
                <option value="86400">1 day</option>
                <option value="604800">7 days</option>
              </select>
            )}
          </Field>
          <button type="submit" disabled={create.busy}>
            Create link
          </button>
        </form>
        <ErrorBox error={create.error} />
        {create.result && (
          <div role="status" class="result ok">
            <p>Shown once; valid until {fmtTime(create.result.expiresAt)}:</p>
            <p class="portal-url">
              <code data-testid="portal-url">{create.result.url}</code> <CopyButton text={create.result.url} label="Copy link" />
            </p>
          </div>
        )}
      </section>
      <ErrorBox error={links.error ?? revoke.error} />
      {links.loading && !links.data && <Loading what="Loading portal links" />}
      {links.data && !links.data.length && <Empty>No portal links yet.</Empty>}
      {links.data && links.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Link</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {links.data.map((l) => (
              <tr key={l.id}>
                <td data-label="Link">
                  <code>{l.hint}</code> <StatusBadge status={l.expired ? 'expired' : 'active'} />
                </td>
                <td data-label="Created">{fmtTime(l.createdAt)}</td>
                <td data-label="Expires">{fmtTime(l.expiresAt)}</td>
                <td data-label="Actions">
                  <button type="button" class="secondary danger" aria-label={`Revoke link ${l.hint}`} disabled={revoke.busy} onClick={() => confirm(`Revoke the link ${l.hint}? Whoever holds it loses access at once.`) && void revoke.run(l.id)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
