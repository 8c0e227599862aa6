/** The webhook's secret: masked as the API reads it; in full once, after create or rotate, with reveal and copy. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction } from '../hooks';
import { peekSecret, putSecret } from '../flash';
import { fmtTime } from '../format';
import type { Webhook } from '../types';
import { ErrorBox, Field, SecretReveal } from '../ui';

export function SecretPanel({ webhook, onRotated }: { webhook: Webhook; onRotated: (w: Webhook) => void }) {
  const full = peekSecret(webhook.id);
  const [confirming, setConfirming] = useState(false);
  const [grace, setGrace] = useState('86400');
  const rotate = useAction(async () => {
    const r = await api<Webhook>('POST', `/v1/webhooks/${webhook.id}/rotate-secret`, { gracePeriod: Number(grace) });
    putSecret(webhook.id, r.data.secret);
    setConfirming(false);
    onRotated(r.data);
    return r.data;
  });

  return (
    <section class="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      {full ? (
        <>
          <p>The secret is shown in full this once: copy it to your receiver now. Later reads show it masked.</p>
          <SecretReveal secret={full} label="Signing secret" />
        </>
      ) : (
        <p>
          <code data-testid="masked-secret">{webhook.secret}</code> <span class="muted small">(masked: the full secret is shown only when it is created or rotated)</span>
        </p>
      )}
      {webhook.secretRotation && (
        <p class="muted small">The previous secret keeps signing too until {fmtTime(webhook.secretRotation.previousSecretValidUntil)}.</p>
      )}
      {!confirming ? (
        <button type="button" class="secondary" onClick={() => setConfirming(true)}>
          Rotate secret…
        </button>
      ) : (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void rotate.run();
          }}
        >
          <Field label="Keep signing with the old secret for">
            {(id) => (
              <select id={id} value={grace} onChange={(e) => setGrace(e.currentTarget.value)}>
                <option value="0">no time (stop at once)</option>
                <option value="3600">1 hour</option>
                <option value="86400">24 hours</option>
                <option value="604800">7 days</option>
              </select>
            )}
          </Field>
          <button type="submit" disabled={rotate.busy}>
            {rotate.busy ? 'Rotating…' : 'Rotate now'}
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorBox error={rotate.error} />
    </section>
  );
}
