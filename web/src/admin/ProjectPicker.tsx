import { useId } from 'react';
import type { MyProject } from '../scope.tsx';

/** Which project an admin page works on (members, settings): a plain select, kept in the URL. */
export function ProjectPicker({
  projects,
  chosen,
  onChoose,
}: {
  projects: readonly MyProject[];
  chosen: MyProject | undefined;
  onChoose: (slug: string) => void;
}) {
  const id = useId();
  return (
    <p className="row">
      <label htmlFor={id}>Project</label>
      <select id={id} value={chosen?.slug ?? ''} onChange={(e) => onChoose(e.target.value)}>
        {projects.map((p) => (
          <option key={p.id} value={p.slug}>
            {p.name}
            {p.status === 'archived' ? ' (archived)' : ''}
          </option>
        ))}
      </select>
    </p>
  );
}
