import { documentCounts } from '@mandant/documents';
import { runServiceProcess } from '@mandant/shared/service';
import { projectService } from '@mandant/project';

// The project service as its own process; it reads its projects' document counts through the
// documents context's export, handed in here as the platform does.
await runServiceProcess('project', (deps) => projectService({ ...deps, documents: documentCounts }));
