/** The event checklist, by category: single events, a category wildcard (`message.*`) or every event (`*`). */
import type { EventType } from '../types';

export function EventsPicker({ catalog, value, onChange }: { catalog: EventType[]; value: string[]; onChange: (v: string[]) => void }) {
  const chosen = new Set(value);
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((v) => v !== name));
  const byCategory = new Map<string, EventType[]>();
  for (const t of [...catalog].sort((a, b) => a.name.localeCompare(b.name))) byCategory.set(t.category, [...(byCategory.get(t.category) ?? []), t]);
  const known = new Set([...catalog.map((t) => t.name), '*', ...[...byCategory.keys()].map((c) => `${c}.*`)]);
  const other = value.filter((v) => !known.has(v));
  const all = chosen.has('*');

  return (
    <fieldset class="events-picker">
      <legend>Events</legend>
      <label class="check">
        <input type="checkbox" checked={all} onChange={(e) => toggle('*', e.currentTarget.checked)} /> Every event (<code>*</code>)
      </label>
      <div class="categories">
        {[...byCategory.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([category, types]) => {
            const wildcard = `${category}.*`;
            // A wildcard only works where every name in the category starts with it.
            const canWildcard = types.every((t) => t.name.startsWith(`${category}.`));
            const whole = all || chosen.has(wildcard);
            return (
              <fieldset key={category} class="category">
                <legend>{category}</legend>
                {canWildcard && (
                  <label class="check">
                    <input type="checkbox" checked={chosen.has(wildcard)} disabled={all} onChange={(e) => toggle(wildcard, e.currentTarget.checked)} /> All{' '}
                    <code>{wildcard}</code>
                  </label>
                )}
                {types.map((t) => (
                  <label class="check" key={t.name} title={t.description}>
                    <input type="checkbox" checked={whole || chosen.has(t.name)} disabled={whole} onChange={(e) => toggle(t.name, e.currentTarget.checked)} /> <code>{t.name}</code>
                  </label>
                ))}
              </fieldset>
            );
          })}
      </div>
      {other.length > 0 && (
        <fieldset class="category">
          <legend>Not in the catalog</legend>
          {other.map((name) => (
            <label class="check" key={name}>
              <input type="checkbox" checked onChange={() => toggle(name, false)} /> <code>{name}</code>
            </label>
          ))}
        </fieldset>
      )}
    </fieldset>
  );
}
