import { documentCounts } from '@mandant/documents';
import { runContextProcess } from '../views.ts';
import { projectService } from '@mandant/project';

// The project service as its own process; it reads its projects' document counts through the
// documents context's export, handed in here as the platform does.
await runContextProcess('project', (deps) => projectService({ ...deps, documents: documentCounts }));
