/** Name/value rows for custom request headers. */
import { newKey } from './params-editor';

export interface HeaderRow {
  key: number;
  name: string;
  value: string;
}

export const toRows = (h: Record<string, string | null> | undefined): HeaderRow[] =>
  Object.entries(h ?? {}).map(([name, value]) => ({ key: newKey(), name, value: value ?? '' }));

export const fromRows = (rows: HeaderRow[]): Record<string, string> =>
  Object.fromEntries(rows.filter((r) => r.name.trim()).map((r) => [r.name.trim(), r.value]));

export function HeadersEditor({ rows, onChange, label }: { rows: HeaderRow[]; onChange: (r: HeaderRow[]) => void; label: string }) {
  const set = (i: number, patch: Partial<HeaderRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div class="headers-editor">
      {rows.map((r, i) => (
        <div class="param-row" key={r.key}>
          <input aria-label={`${label} ${i + 1} name`} placeholder="X-Api-Key" value={r.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
          <input class="grow" aria-label={`${label} ${i + 1} value`} placeholder="value" value={r.value} onInput={(e) => set(i, { value: e.currentTarget.value })} />
          <button type="button" class="icon danger" aria-label={`Remove ${label.toLowerCase()} ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" class="secondary small" onClick={() => onChange([...rows, { key: newKey(), name: '', value: '' }])}>
        Add {label.toLowerCase()}
      </button>
    </div>
  );
}
