import { runServiceProcess } from '@mandant/shared/service/main.ts';
import { projectService } from './service.ts';

await runServiceProcess('project', projectService);
