/** Create or edit a webhook: URL, events, retry policy, signature, custom headers, request template with a live preview. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useGet } from '../hooks';
import { navigate } from '../router';
import { putSecret } from '../flash';
import { EVENT_PAGE, type EventType, type Webhook } from '../types';
import { ErrorBox, Field, Link, Loading, PageTitle } from '../ui';
import { EventsPicker } from './events-picker';
import { HeadersEditor, fromRows, toRows, type HeaderRow } from './headers-editor';
import { TemplateEditor, fromTemplate, toTemplate, type TemplateState } from './template-editor';
import { RequestPreview } from './preview';

interface FormState {
  name: string;
  description: string;
  url: string;
  events: string[];
  active: boolean;
  maxRetries: string;
  retryDelay: string;
  backoffMultiplier: string;
  maxRetryDelay: string;
  timeout: string;
  signature: Webhook['signature'];
  secret: string;
  headers: HeaderRow[];
  useTemplate: boolean;
  template: TemplateState;
}

const fromWebhook = (w?: Webhook): FormState => ({
  name: w?.name ?? '',
  description: w?.description ?? '',
  url: w?.url ?? '',
  events: w?.events ?? [],
  active: w?.active ?? true,
  maxRetries: String(w?.retryPolicy.maxRetries ?? 3),
  retryDelay: String(w?.retryPolicy.retryDelay ?? 1000),
  backoffMultiplier: String(w?.retryPolicy.backoffMultiplier ?? 2),
  maxRetryDelay: String(w?.retryPolicy.maxRetryDelay ?? 30000),
  timeout: String(w?.timeout ?? 10000),
  signature: w?.signature ?? 'hmac-sha256',
  secret: '',
  headers: toRows(w?.headers),
  useTemplate: !!w?.request,
  template: fromTemplate(w?.request),
});

/** A number field's value as the API takes it; text that is not a number goes as it is, and the API says what is wrong. */
const num = (v: string) => (v.trim() === '' ? undefined : Number.isNaN(Number(v)) ? v : Number(v));

function toBody(f: FormState, creating: boolean) {
  return {
    name: f.name.trim() || undefined,
    description: f.description,
    url: f.url,
    events: f.events,
    active: f.active,
    retryPolicy: { maxRetries: num(f.maxRetries), retryDelay: num(f.retryDelay), backoffMultiplier: num(f.backoffMultiplier), maxRetryDelay: num(f.maxRetryDelay) },
    timeout: num(f.timeout),
    signature: f.signature,
    headers: fromRows(f.headers),
    request: f.useTemplate ? toTemplate(f.template) : null,
    ...(creating && f.secret && { secret: f.secret }),
  };
}

export function WebhookForm({ id }: { id?: string }) {
  const existing = useGet<Webhook>(id ? `/v1/webhooks/${id}` : null);
  const types = useGet<EventType[]>(EVENT_PAGE);
  const [f, setF] = useState<FormState>(() => fromWebhook());
  useEffect(() => {
    if (existing.data) setF(fromWebhook(existing.data));
  }, [existing.data]);
  const save = useAction(async () => {
    const body = toBody(f, !id);
    const r = id ? await api<Webhook>('PUT', `/v1/webhooks/${id}`, body) : await api<Webhook>('POST', '/v1/webhooks', body);
    if (!id) putSecret(r.data.id, r.data.secret);
    navigate(`/webhooks/${r.data.id}`);
    return r.data;
  });
  // An edit makes the last save's error stale (and the browser's own checks may stop the
  // next submit before it could replace it).
  const set = (patch: Partial<FormState>) => {
    setF((s) => ({ ...s, ...patch }));
    if (save.error) save.setError(undefined);
  };

  if (id && existing.loading) return <Loading what="Loading the webhook" />;
  if (id && existing.error) return <ErrorBox error={existing.error} />;
  const catalog = types.data ?? [];
  const number = (key: keyof FormState, label: string, hint?: string) => (
    <Field label={label} hint={hint}>
      {(fid, h) => <input id={fid} aria-describedby={h} inputMode="numeric" value={f[key] as string} onInput={(e) => set({ [key]: e.currentTarget.value } as Partial<FormState>)} />}
    </Field>
  );

  return (
    <>
      <PageTitle>{id ? `Edit ${existing.data?.name ?? 'webhook'}` : 'New webhook'}</PageTitle>
      <form
        class="webhook-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <div class="grid-2">
          <Field label="Name" hint="Default: the URL's host">
            {(fid, h) => <input id={fid} aria-describedby={h} value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />}
          </Field>
          <Field label="Endpoint URL">
            {(fid) => <input id={fid} type="url" required placeholder="https://example.com/webhooks" value={f.url} onInput={(e) => set({ url: e.currentTarget.value })} />}
          </Field>
        </div>
        <Field label="Description">{(fid) => <input id={fid} value={f.description} onInput={(e) => set({ description: e.currentTarget.value })} />}</Field>
        <label class="check">
          <input type="checkbox" checked={f.active} onChange={(e) => set({ active: e.currentTarget.checked })} /> Active (inactive webhooks get no deliveries)
        </label>
        {types.error ? <ErrorBox error={types.error} /> : <EventsPicker catalog={catalog} value={f.events} onChange={(events) => set({ events })} />}

        <fieldset>
          <legend>Retry policy</legend>
          <div class="grid-4">
            {number('maxRetries', 'Retries', '0–20; 0 = one attempt')}
            {number('retryDelay', 'First delay (ms)')}
            {number('backoffMultiplier', 'Backoff multiplier')}
            {number('maxRetryDelay', 'Longest delay (ms)')}
          </div>
          {number('timeout', 'Timeout (ms)', '100–120000')}
        </fieldset>

        <fieldset>
          <legend>Signature</legend>
          <div class="grid-2">
            <Field label="Signature scheme">
              {(fid) => (
                <select id={fid} value={f.signature} onChange={(e) => set({ signature: e.currentTarget.value as FormState['signature'] })}>
                  <option value="hmac-sha256">hmac-sha256 (X-…-Signature: sha256=…)</option>
                  <option value="standard">Standard Webhooks (webhook-signature)</option>
                  <option value="body">body (livedigital: signature inside the body)</option>
                  <option value="none">none</option>
                </select>
              )}
            </Field>
            {!id && (
              <Field label="Secret" hint="Leave empty to have a whsec_… secret generated">
                {(fid, h) => <input id={fid} aria-describedby={h} autocomplete="off" value={f.secret} onInput={(e) => set({ secret: e.currentTarget.value })} />}
              </Field>
            )}
          </div>
        </fieldset>

        <fieldset>
          <legend>Custom headers</legend>
          <HeadersEditor rows={f.headers} onChange={(headers) => set({ headers })} label="Header" />
        </fieldset>

        <label class="check">
          <input type="checkbox" checked={f.useTemplate} onChange={(e) => set({ useTemplate: e.currentTarget.checked })} /> Build the request from a template (instead of the
          JSON envelope)
        </label>
        {f.useTemplate && <TemplateEditor value={f.template} onChange={(template) => set({ template })} />}

        <RequestPreview
          catalog={catalog}
          events={f.events}
          input={{ url: f.url, signature: f.signature, headers: fromRows(f.headers), request: f.useTemplate ? toTemplate(f.template) : null }}
        />

        <ErrorBox error={save.error} />
        <div class="form-actions">
          <button type="submit" disabled={save.busy}>
            {save.busy ? 'Saving…' : id ? 'Save changes' : 'Create webhook'}
          </button>
          <Link href={id ? `/webhooks/${id}` : '/webhooks'} class="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
