/** Per-space webhooks (livedigital): one URL per space, its secret, refresh, pause, delete, and its deliveries. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useGet } from '../hooks';
import { fmtTime } from '../format';
import { Empty, ErrorBox, Field, Loading, PageTitle, SecretReveal, StatusBadge } from '../ui';
import { DeliveryLog } from './delivery-log';

interface Space {
  spaceId: string;
  webhookId: string;
  url: string;
  isActive: boolean;
  createdAt: string;
  lastDelivery: string | null;
}

const spacePath = (id: string) => `/v1/spaces/${encodeURIComponent(id)}/webhook`;

function SpaceRow({ space, onChanged }: { space: Space; onChanged: () => void }) {
  const [url, setUrl] = useState(space.url);
  const [secret, setSecret] = useState<string>();
  const [showLog, setShowLog] = useState(false);
  const save = useAction(async (patch: { url?: string; isActive?: boolean }) => {
    await api('PUT', spacePath(space.spaceId), patch);
    onChanged();
  });
  const refresh = useAction(async () => setSecret((await api<{ secret: string }>('PUT', `${spacePath(space.spaceId)}/refresh-secret`)).data.secret));
  const remove = useAction(async () => {
    await api('DELETE', spacePath(space.spaceId));
    onChanged();
  });
  return (
    <section class="card space" aria-labelledby={`space-${space.spaceId}`}>
      <h2 id={`space-${space.spaceId}`}>
        Space <code>{space.spaceId}</code> <StatusBadge status={space.isActive ? 'active' : 'inactive'} />
      </h2>
      <p class="muted small">
        Created {fmtTime(space.createdAt)}; last delivery {fmtTime(space.lastDelivery)}.
      </p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run({ url });
        }}
      >
        <Field label={`URL of space ${space.spaceId}`} class="grow">
          {(id) => <input id={id} type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
        </Field>
        <button type="submit" disabled={save.busy || url === space.url}>
          Save URL
        </button>
      </form>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void save.run({ isActive: !space.isActive })}>
          {space.isActive ? 'Deactivate' : 'Activate'}
        </button>
        <button type="button" class="secondary" disabled={refresh.busy} onClick={() => void refresh.run()}>
          Refresh secret
        </button>
        <button type="button" class="secondary" aria-expanded={showLog} onClick={() => setShowLog(!showLog)}>
          {showLog ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button type="button" class="secondary danger" onClick={() => confirm(`Delete the webhook of space ${space.spaceId}?`) && void remove.run()}>
          Delete
        </button>
      </div>
      {secret && (
        <div role="status">
          <p>New secret (the old one no longer signs). Shown once:</p>
          <SecretReveal secret={secret} label={`Secret of space ${space.spaceId}`} />
        </div>
      )}
      <ErrorBox error={save.error ?? refresh.error ?? remove.error} />
      {showLog && <DeliveryLog webhookId={space.webhookId} />}
    </section>
  );
}

export function SpacesPage() {
  const spaces = useGet<Space[]>('/v1/spaces?limit=1000');
  const [spaceId, setSpaceId] = useState('');
  const [url, setUrl] = useState('');
  const create = useAction(async () => {
    const r = await api<{ url: string; secret: string }>('POST', spacePath(spaceId), { url });
    spaces.reload();
    // Added: the form is ready for the next space.
    setSpaceId('');
    setUrl('');
    return { spaceId, secret: r.data.secret };
  });
  return (
    <>
      <PageTitle>Spaces</PageTitle>
      <p class="muted">
        One webhook per space, sent the space's <code>call_*</code> and <code>record_*</code> events with the signature inside the body.
      </p>
      <section class="card" aria-labelledby="new-space">
        <h2 id="new-space">Add a space webhook</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
        >
          <Field label="Space id">{(id) => <input id={id} required pattern="[A-Za-z0-9_.\-]+" value={spaceId} onInput={(e) => setSpaceId(e.currentTarget.value)} />}</Field>
          <Field label="Webhook URL" class="grow">
            {(id) => <input id={id} type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
          </Field>
          <button type="submit" disabled={create.busy}>
            Add
          </button>
        </form>
        <ErrorBox error={create.error} />
        {create.result && (
          <div role="status">
            <p>Space {create.result.spaceId} added. Its secret is shown once:</p>
            <SecretReveal secret={create.result.secret} label={`Secret of space ${create.result.spaceId}`} />
          </div>
        )}
      </section>
      <ErrorBox error={spaces.error} />
      {spaces.loading && !spaces.data && <Loading what="Loading spaces" />}
      {spaces.data && !spaces.data.length && <Empty>No space has a webhook yet.</Empty>}
      {spaces.data?.map((s) => <SpaceRow key={`${s.spaceId}:${s.url}:${s.isActive}`} space={s} onChanged={spaces.reload} />)}
    </>
  );
}
