import { useScope } from '../scope.tsx';

/** The project selector in the header (its dialog: search, pinned, archived, new project). */
export function ProjectSelector() {
  const scope = useScope();
  const name = scope.kind === 'project' ? (scope.project?.name ?? scope.slug) : 'All projects';
  return (
    <button type="button" className="project-selector">
      Project: {name}
    </button>
  );
}
