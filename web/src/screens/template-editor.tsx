/** The request-template editor: method, format, headers, typed params, raw body, JSON-RPC method, date format. */
import type { RequestTemplate } from '../types';
import { Field } from '../ui';
import { HeadersEditor, fromRows, toRows, type HeaderRow } from './headers-editor';
import { ParamsEditor, fromApiParams, toApiParams, type ParamState } from './params-editor';

export interface TemplateState {
  method: 'GET' | 'POST' | 'PUT';
  format: 'json' | 'form' | 'json-rpc' | 'raw';
  headers: HeaderRow[];
  params: ParamState[];
  rawBody: string;
  rpcMethod: string;
  /** iso, unix, unix_ms, or `custom` with `datePattern`. */
  dateFormat: string;
  datePattern: string;
}

const PRESET_DATES = ['iso', 'unix', 'unix_ms'];

export function fromTemplate(t: RequestTemplate | null | undefined): TemplateState {
  const df = t?.dateFormat ?? 'iso';
  return {
    method: t?.method ?? 'POST',
    format: t?.format ?? 'json',
    headers: toRows(t?.headers),
    params: fromApiParams(t?.params),
    rawBody: t?.rawBody ?? '',
    rpcMethod: t?.rpcMethod ?? '',
    dateFormat: PRESET_DATES.includes(df) ? df : 'custom',
    datePattern: PRESET_DATES.includes(df) ? 'YYYY-MM-DD HH:mm:ss' : df,
  };
}

/** The `request` field as the API takes it: only what applies to the chosen format. */
export function toTemplate(s: TemplateState): RequestTemplate {
  const t: RequestTemplate = { method: s.method, format: s.format, dateFormat: s.dateFormat === 'custom' ? s.datePattern : s.dateFormat };
  const headers = fromRows(s.headers);
  if (Object.keys(headers).length) t.headers = headers;
  if (s.format === 'raw') t.rawBody = s.rawBody;
  else t.params = toApiParams(s.params);
  if (s.format === 'json-rpc') t.rpcMethod = s.rpcMethod;
  return t;
}

export function TemplateEditor({ value, onChange }: { value: TemplateState; onChange: (v: TemplateState) => void }) {
  const set = (patch: Partial<TemplateState>) => onChange({ ...value, ...patch });
  return (
    <fieldset class="template">
      <legend>Request template</legend>
      <p class="muted small">
        Placeholders: <code>{'{{event.id}}'}</code> <code>{'{{event.type}}'}</code> <code>{'{{event.createdAt}}'}</code> <code>{'{{data.path.to.value}}'}</code>{' '}
        <code>{'{{webhook.secret}}'}</code> <code>{'{{delivery.id}}'}</code>. GET sends the params in the query string.
      </p>
      <div class="grid-3">
        <Field label="Method">
          {(id) => (
            <select id={id} value={value.method} onChange={(e) => set({ method: e.currentTarget.value as TemplateState['method'] })}>
              <option>POST</option>
              <option>PUT</option>
              <option>GET</option>
            </select>
          )}
        </Field>
        <Field label="Body format">
          {(id) => (
            <select id={id} value={value.format} disabled={value.method === 'GET'} onChange={(e) => set({ format: e.currentTarget.value as TemplateState['format'] })}>
              <option value="json">JSON object</option>
              <option value="form">form (x-www-form-urlencoded)</option>
              <option value="json-rpc">JSON-RPC 2.0</option>
              <option value="raw">raw text</option>
            </select>
          )}
        </Field>
        <Field label="Date format" hint="How event.createdAt and ISO dates in data are written">
          {(id, hint) => (
            <select id={id} aria-describedby={hint} value={value.dateFormat} onChange={(e) => set({ dateFormat: e.currentTarget.value })}>
              <option value="iso">ISO 8601</option>
              <option value="unix">unix seconds</option>
              <option value="unix_ms">unix milliseconds</option>
              <option value="custom">pattern…</option>
            </select>
          )}
        </Field>
      </div>
      {value.dateFormat === 'custom' && (
        <Field label="Date pattern" hint="YYYY MM DD HH mm ss SSS, in UTC">
          {(id, hint) => <input id={id} aria-describedby={hint} value={value.datePattern} onInput={(e) => set({ datePattern: e.currentTarget.value })} />}
        </Field>
      )}
      {value.format === 'json-rpc' && value.method !== 'GET' && (
        <Field label="JSON-RPC method">
          {(id) => <input id={id} value={value.rpcMethod} onInput={(e) => set({ rpcMethod: e.currentTarget.value })} />}
        </Field>
      )}
      {value.format === 'raw' && value.method !== 'GET' ? (
        <Field label="Raw body (a template)">
          {(id) => <textarea id={id} rows={5} value={value.rawBody} onInput={(e) => set({ rawBody: e.currentTarget.value })} />}
        </Field>
      ) : (
        <fieldset>
          <legend>Params</legend>
          <ParamsEditor params={value.params} onChange={(params) => set({ params })} />
        </fieldset>
      )}
      <fieldset>
        <legend>Template headers</legend>
        <p class="muted small">Override the defaults, the format's Content-Type included.</p>
        <HeadersEditor rows={value.headers} onChange={(headers) => set({ headers })} label="Template header" />
      </fieldset>
    </fieldset>
  );
}
