import { projectLookup, projectWrites } from '@mandant/project';
import { runContextProcess } from '../views.ts';
import { entityService } from '@mandant/entities';

// The entity and graph service as its own process: it reads the graph store and appends merges.
await runContextProcess(
  'entities',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return entityService({ ...deps, stores: deps.stores, projects: projectLookup, writes: projectWrites });
  },
  { stores: true },
);
