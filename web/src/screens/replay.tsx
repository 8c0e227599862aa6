/** Replay a time window of one webhook: its failed (or all) deliveries in the window, and events it missed while inactive. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction } from '../hooks';
import { count, isoToLocal, localToIso } from '../format';
import type { Webhook } from '../types';
import { ErrorBox, Field, Link } from '../ui';

interface ReplayResult {
  requeued: number;
  created: number;
}

export function ReplayForm({ webhooks, initial, onDone }: { webhooks: Webhook[]; initial: string; onDone: () => void }) {
  const [webhookId, setWebhookId] = useState(initial);
  const [since, setSince] = useState(() => isoToLocal(Date.now() - 3600_000));
  const [until, setUntil] = useState('');
  const [status, setStatus] = useState('failed');
  const replay = useAction(async () => {
    const r = await api<ReplayResult>('POST', `/v1/webhooks/${webhookId || webhooks[0]?.id}/replay`, {
      since: localToIso(since),
      ...(until && { until: localToIso(until) }),
      status,
    });
    onDone();
    return r.data;
  });
  return (
    <section class="card" aria-labelledby="replay-title">
      <h2 id="replay-title">Replay a time window</h2>
      <p class="muted small">After an outage: deliveries in the window become due again with a fresh retry budget, and events the webhook missed while inactive are sent.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void replay.run();
        }}
      >
        <div class="grid-4">
          <Field label="Webhook to replay">
            {(id) => (
              <select id={id} value={webhookId || webhooks[0]?.id} onChange={(e) => setWebhookId(e.currentTarget.value)}>
                {webhooks.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="From (local time)">{(id) => <input id={id} type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />}</Field>
          <Field label="Until (empty: now)">{(id) => <input id={id} type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />}</Field>
          <Field label="Deliveries">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
                <option value="failed">failed only</option>
                <option value="delivered">delivered only</option>
                <option value="all">all (delivered too)</option>
              </select>
            )}
          </Field>
        </div>
        <button type="submit" disabled={replay.busy || !webhooks.length} aria-describedby={webhooks.length ? undefined : 'replay-none'}>
          {replay.busy ? 'Replaying…' : 'Replay window'}
        </button>
        {!webhooks.length && (
          <p id="replay-none" class="muted small">
            There is no webhook to replay yet: <Link href="/webhooks/new">create one</Link> first.
          </p>
        )}
      </form>
      <ErrorBox error={replay.error} />
      {replay.result && (
        <p role="status" class="result ok">
          {count(replay.result.requeued, 'delivery', 'deliveries')} queued again, {count(replay.result.created, 'missed event')} sent.
        </p>
      )}
    </section>
  );
}
