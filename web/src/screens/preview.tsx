/** Live preview of the exact request a webhook would send (POST /v1/webhooks/preview), for a sample event. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useDebounced } from '../hooks';
import type { EventType, RequestTemplate } from '../types';
import { Code, ErrorBox, Field, HeadersTable } from '../ui';

interface Preview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  missing: string[];
}

export interface PreviewInput {
  url: string;
  signature: string;
  headers: Record<string, string>;
  request: RequestTemplate | null;
}

const SAMPLE = '{\n  "id": "msg_1",\n  "call": {"id": "c-77"},\n  "tags": ["a", "b"],\n  "duration": 65,\n  "title": "Заявка: не работает принтер"\n}';

export function RequestPreview({ input, catalog, events }: { input: PreviewInput; catalog: EventType[]; events: string[] }) {
  const first = catalog.find((t) => events.some((p) => p === '*' || p === t.name || (p.endsWith('.*') && t.name.startsWith(p.slice(0, -1)))));
  const [type, setType] = useState('');
  const [data, setData] = useState(SAMPLE);
  const [state, setState] = useState<{ preview?: Preview; error?: ApiError }>({});
  const eventType = type || first?.name || catalog[0]?.name || 'message.created';
  const body = useDebounced(JSON.stringify({ ...input, eventType, data }), 300);

  useEffect(() => {
    const b = JSON.parse(body) as PreviewInput & { eventType: string; data: string };
    let parsed: unknown;
    try {
      parsed = JSON.parse(b.data || '{}');
    } catch (e) {
      setState({ error: new ApiError(0, 'SAMPLE_DATA', `The sample data is not valid JSON: ${(e as Error).message}`) });
      return;
    }
    let stale = false;
    api<Preview>('POST', '/v1/webhooks/preview', {
      url: b.url || 'https://example.com/webhook',
      request: b.request,
      signature: b.signature,
      headers: b.headers,
      event: { type: b.eventType, data: parsed },
    }).then(
      (r) => !stale && setState({ preview: r.data }),
      (e: ApiError) => !stale && setState({ error: e }),
    );
    return () => void (stale = true);
  }, [body]);

  const p = state.preview;
  return (
    <section class="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview of the exact request</h2>
      <div class="grid-2">
        <Field label="Sample event type">
          {(id) => (
            <select id={id} value={eventType} onChange={(e) => setType(e.currentTarget.value)}>
              {catalog.map((t) => (
                <option key={t.name}>{t.name}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Sample data (JSON)">
          {(id) => <textarea id={id} rows={6} class="mono" value={data} onInput={(e) => setData(e.currentTarget.value)} />}
        </Field>
      </div>
      <div aria-live="polite" data-testid="preview">
        <ErrorBox error={state.error} />
        {p && !state.error && (
          <>
            <p class="request-line">
              <code>
                {p.method} {p.url}
              </code>
            </p>
            {p.missing.length > 0 && <p class="warning">No value for: {p.missing.join(', ')} (rendered empty)</p>}
            <HeadersTable headers={p.headers} caption="Headers" />
            <Code value={p.body} label="Body" />
          </>
        )}
      </div>
    </section>
  );
}
