import { runServiceProcess } from '@mandant/shared/service';
import { projectService } from './service.ts';

await runServiceProcess('project', projectService);
