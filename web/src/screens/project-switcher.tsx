/** The admin token's project picker: every API call then names the project (X-Hookbridge-Project). */
import { useGet } from '../hooks';
import type { Session } from '../session';
import { Field } from '../ui';

interface Project {
  id: string;
  name: string;
  isDefault: boolean;
}

export function ProjectSwitcher({ session, onChange }: { session: Session; onChange: (project: string | undefined) => void }) {
  const projects = useGet<Project[]>('/v1/projects?limit=1000');
  const list = projects.data ?? [];
  const current = session.project ?? list.find((p) => p.isDefault)?.id ?? '';
  const shown = list.find((p) => p.id === current);
  const label = (p: Project) => `${p.name} (${p.id})`;
  return (
    <Field label="Project" class="project-switcher">
      {(id) => (
        <select
          id={id}
          value={current}
          // A long name or id is cut in the closed picker: the whole of it on hover.
          title={shown && label(shown)}
          disabled={!list.length}
          // Projects made elsewhere since the page loaded appear when the picker is opened.
          onFocus={projects.reload}
          onChange={(e) => {
            const v = e.currentTarget.value;
            onChange(list.find((p) => p.id === v)?.isDefault ? undefined : v);
          }}
        >
          {!list.length && <option value="">{projects.error ? projects.error.message : 'Loading…'}</option>}
          {list.map((p) => (
            <option key={p.id} value={p.id}>
              {label(p)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
