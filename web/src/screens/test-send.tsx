/** "Send test": one event through the normal pipeline to this webhook only, and the attempt it made. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction } from '../hooks';
import { fmtMs } from '../format';
import { patternMatches, type EventType, type Webhook } from '../types';
import { Code, ErrorBox, Field, Link, StatusBadge } from '../ui';

interface TestResult {
  eventId: string;
  deliveryId: string;
  status: string;
  success: boolean;
  attempt: { statusCode: number | null; responseTime: number | null; body: string | null; error: string | null } | null;
}

export function TestSend({ webhook, catalog, onSent }: { webhook: Webhook; catalog: EventType[]; onSent?: () => void }) {
  const types = catalog.filter((t) => webhook.events.some((p) => patternMatches(p, t.name)));
  const [type, setType] = useState('');
  const [data, setData] = useState('{\n  "id": "test_msg_123",\n  "content": "Test message"\n}');
  const eventType = type || types[0]?.name || '';
  const send = useAction(async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data || '{}');
    } catch (e) {
      throw Object.assign(new Error(`The test data is not valid JSON: ${(e as Error).message}`), { code: 'TEST_DATA' });
    }
    const r = (await api<TestResult>('POST', `/v1/webhooks/${webhook.id}/test`, { eventType, data: parsed })).data;
    onSent?.();
    return r;
  });
  const r = send.result;
  return (
    <section class="card" aria-labelledby="test-title">
      <h2 id="test-title">Send a test</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send.run();
        }}
      >
        <div class="grid-2">
          <Field label="Test event type">
            {(id) => (
              <select id={id} value={eventType} onChange={(e) => setType(e.currentTarget.value)}>
                {types.map((t) => (
                  <option key={t.name}>{t.name}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Test data (JSON)">{(id) => <textarea id={id} class="mono" rows={4} value={data} onInput={(e) => setData(e.currentTarget.value)} />}</Field>
        </div>
        <button type="submit" disabled={send.busy || !eventType}>
          {send.busy ? 'Sending…' : 'Send test'}
        </button>
      </form>
      <ErrorBox error={send.error} />
      <div aria-live="polite" data-testid="test-result">
        {r && (
          <div class={`result ${r.success ? 'ok' : 'bad'}`}>
            <p>
              <strong>{r.success ? 'Delivered' : 'Failed'}</strong> <StatusBadge status={r.status} /> HTTP status{' '}
              <strong data-testid="test-status-code">{r.attempt?.statusCode ?? 'none'}</strong> in {fmtMs(r.attempt?.responseTime)}
              {r.attempt?.error && <> — {r.attempt.error}</>}
            </p>
            {r.attempt?.body != null && <Code value={r.attempt.body} label="Response body" />}
            <p>
              <Link href={`/deliveries/${r.deliveryId}`}>Attempt detail (request and response headers and bodies)</Link>
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
