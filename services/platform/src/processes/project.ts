import { runContextProcess } from '../views.ts';
import { projectService } from '@mandant/project';
import { projectPorts } from '../project-ports.ts';

// The project service as its own process; it reads its projects' document and entity counts and
// a document's projects through the owners' exports (the entity graph needs the read stores),
// handed in here as the platform does.
await runContextProcess(
  'project',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return projectService({ ...deps, ...projectPorts(deps.stores.graph) });
  },
  { stores: true },
);
