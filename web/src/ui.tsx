/** Shared pieces: links, states (loading, empty, error), form fields, secrets, code blocks, tables. */
import type { ComponentChildren, JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import type { ApiError, Pagination } from './api';
import { onLinkClick } from './router';
import { pretty } from './format';

export function Link({ href, children, ...rest }: { href: string; children: ComponentChildren } & JSX.HTMLAttributes<HTMLAnchorElement>) {
  return (
    <a href={href} onClick={(e) => onLinkClick(e as unknown as MouseEvent, href)} {...rest}>
      {children}
    </a>
  );
}

export const Loading = ({ what = 'Loading' }: { what?: string }) => (
  <p role="status" class="loading">
    {what}…
  </p>
);

export const Empty = ({ children }: { children: ComponentChildren }) => <div class="empty">{children}</div>;

/** The API's error exactly as written: message, code and every detail. */
export function ErrorBox({ error }: { error: ApiError | Error | undefined }) {
  if (!error) return null;
  const e = error as ApiError;
  return (
    <div role="alert" class="error">
      <p>
        <strong>{e.message}</strong>
        {e.code && <span class="code"> ({e.status ? `${e.status} ` : ''}{e.code})</span>}
      </p>
      {e.details?.length > 0 && (
        <ul>
          {e.details.map((d, i) => (
            <li key={i}>
              {d.field && <code>{d.field}</code>} {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A labelled control: `children` gets the id through a render function. */
export function Field({ label, hint, children, class: cls }: { label: ComponentChildren; hint?: ComponentChildren; class?: string; children: (id: string, describedBy?: string) => ComponentChildren }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      {children(id, hintId)}
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.replace(/[^a-z_]/gi, '')}`}>{status}</span>;
}

/** Copies `text`: the Clipboard API where the page is a secure context, else a hidden textarea. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      /* falls through to the textarea way (e.g. permission refused) */
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.append(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="secondary"
      onClick={async () => {
        await copyText(text);
        setDone(true);
        setTimeout(() => setDone(false), 2000);
      }}
    >
      {done ? 'Copied' : label}
      <span class="sr-only" aria-live="polite">
        {done ? ' to the clipboard' : ''}
      </span>
    </button>
  );
}

/** A secret shown in full once (after create or rotate): hidden until revealed, with a copy button. */
export function SecretReveal({ secret, label }: { secret: string; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div class="secret">
      <code class="secret-value" data-testid="secret-value" aria-label={label}>
        {shown ? secret : '•'.repeat(Math.min(32, secret.length))}
      </code>
      <button type="button" class="secondary" aria-pressed={shown} onClick={() => setShown(!shown)}>
        {shown ? 'Hide' : 'Reveal'}
      </button>
      <CopyButton text={secret} label="Copy secret" />
    </div>
  );
}

export const Code = ({ value, label }: { value: unknown; label?: string }) => (
  <pre class="code-block" tabIndex={0} aria-label={label}>
    {value === null || value === undefined || value === '' ? '(empty)' : pretty(value)}
  </pre>
);

export function HeadersTable({ headers, caption }: { headers: Record<string, unknown> | null | undefined; caption: string }) {
  const rows = Object.entries(headers ?? {});
  if (!rows.length) return <p class="muted">{caption}: none</p>;
  return (
    <table class="kv">
      <caption>{caption}</caption>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{Array.isArray(v) ? v.join(', ') : String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Pages of a list; `back`/`forward` name the two directions (a newest-first list by default). */
export function Pager({ pagination, onOffset, back = 'Newer', forward = 'Older' }: { pagination?: Pagination; onOffset: (o: number) => void; back?: string; forward?: string }) {
  if (!pagination || pagination.total <= pagination.limit) return null;
  const { offset, limit, total } = pagination;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {back}
      </button>
      <span>
        {offset + 1}–{Math.min(total, offset + limit)} of {total}
      </span>
      <button type="button" class="secondary" disabled={!pagination.hasMore} onClick={() => onOffset(offset + limit)}>
        {forward}
      </button>
    </nav>
  );
}

/** A page's heading: focused after navigation so keyboard and screen-reader users land on it. */
export const PageTitle = ({ children, actions }: { children: ComponentChildren; actions?: ComponentChildren }) => (
  <div class="page-title">
    <h1 tabIndex={-1} id="page-title">
      {children}
    </h1>
    {actions && <div class="actions">{actions}</div>}
  </div>
);

/** The webhook filter's options: "all webhooks", then each by name (errors and statistics screens). */
export const WebhookOptions = ({ webhooks }: { webhooks: { id: string; name: string }[] | undefined }) => (
  <>
    <option value="">all webhooks</option>
    {(webhooks ?? []).map((w) => (
      <option key={w.id} value={w.id}>
        {w.name}
      </option>
    ))}
  </>
);
