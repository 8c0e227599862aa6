/** Request-template params: typed (text, array, nested object, hashes) and nested up to the API's limit. */
import type { ParamType, TemplateParam } from '../types';

export interface ParamState {
  key: number;
  name: string;
  type: ParamType;
  /** text and hashes: one template; array: a list of templates; object: nested params. */
  text: string;
  items: Array<{ key: number; value: string }>;
  children: ParamState[];
}

let nextKey = 1;
export const newKey = () => nextKey++;
export const newParam = (): ParamState => ({ key: newKey(), name: '', type: 'text', text: '', items: [], children: [] });

const TYPES: Array<[ParamType, string]> = [
  ['text', 'text (a template)'],
  ['array', 'array (list of templates)'],
  ['object', 'object (nested params)'],
  ['md5', 'md5 (hex digest)'],
  ['sha1', 'sha1 (hex digest)'],
  ['sha256', 'sha256 (hex digest)'],
  ['crc32', 'crc32 (8 hex digits)'],
];

export function toApiParams(list: ParamState[]): TemplateParam[] {
  return list.map((p) => ({
    name: p.name,
    type: p.type,
    value: p.type === 'array' ? p.items.map((i) => i.value) : p.type === 'object' ? toApiParams(p.children) : p.text,
  }));
}

export function fromApiParams(list: TemplateParam[] | undefined): ParamState[] {
  return (list ?? []).map((p) => ({
    key: newKey(),
    name: p.name,
    type: p.type,
    text: typeof p.value === 'string' ? p.value : '',
    items: p.type === 'array' && Array.isArray(p.value) ? (p.value as string[]).map((value) => ({ key: newKey(), value: String(value) })) : [],
    children: p.type === 'object' && Array.isArray(p.value) ? fromApiParams(p.value as TemplateParam[]) : [],
  }));
}

export function ParamsEditor({ params, onChange, parent, depth = 0 }: { params: ParamState[]; onChange: (p: ParamState[]) => void; parent?: string; depth?: number }) {
  const set = (i: number, patch: Partial<ParamState>) => onChange(params.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const remove = (i: number) => onChange(params.filter((_, j) => j !== i));
  const move = (i: number, d: number) => {
    const next = [...params];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    onChange(next);
  };
  return (
    <div class={`params depth-${Math.min(depth, 3)}`}>
      {!params.length && <p class="muted small">No params{depth ? ' in this object' : ''} yet.</p>}
      <ol class="param-list">
        {params.map((p, i) => {
          const label = parent ? `${parent}.${i + 1}` : `Param ${i + 1}`;
          return (
            <li key={p.key} class="param">
              <div class="param-row">
                <input aria-label={`${label} name`} placeholder="name" value={p.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
                <select aria-label={`${label} type`} value={p.type} onChange={(e) => set(i, { type: e.currentTarget.value as ParamType })}>
                  {TYPES.map(([v, l]) => (
                    <option key={v} value={v}>
                      {l}
                    </option>
                  ))}
                </select>
                {p.type !== 'array' && p.type !== 'object' && (
                  <input
                    class="grow"
                    aria-label={`${label} value`}
                    placeholder={p.type === 'text' ? '{{data.id}}' : 'text to hash, e.g. {{data.id}}{{webhook.secret}}'}
                    value={p.text}
                    onInput={(e) => set(i, { text: e.currentTarget.value })}
                  />
                )}
                <span class="row-buttons">
                  <button type="button" class="icon" aria-label={`Move ${label} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" class="icon" aria-label={`Move ${label} down`} disabled={i === params.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                  <button type="button" class="icon danger" aria-label={`Remove ${label}`} onClick={() => remove(i)}>
                    ✕
                  </button>
                </span>
              </div>
              {p.type === 'array' && (
                <div class="nested">
                  {p.items.map((item, k) => (
                    <div class="param-row" key={item.key}>
                      <input
                        class="grow"
                        aria-label={`${label} item ${k + 1}`}
                        value={item.value}
                        onInput={(e) => set(i, { items: p.items.map((x, m) => (m === k ? { ...x, value: e.currentTarget.value } : x)) })}
                      />
                      <button type="button" class="icon danger" aria-label={`Remove ${label} item ${k + 1}`} onClick={() => set(i, { items: p.items.filter((_, m) => m !== k) })}>
                        ✕
                      </button>
                    </div>
                  ))}
                  <button type="button" class="secondary small" onClick={() => set(i, { items: [...p.items, { key: newKey(), value: '' }] })}>
                    Add item to {label.toLowerCase()}
                  </button>
                </div>
              )}
              {p.type === 'object' && (
                <div class="nested">
                  <ParamsEditor params={p.children} onChange={(children) => set(i, { children })} parent={label} depth={depth + 1} />
                </div>
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" class="secondary small" onClick={() => onChange([...params, newParam()])} disabled={depth >= 9}>
        Add param{parent ? ` to ${parent.toLowerCase()}` : ''}
      </button>
    </div>
  );
}
