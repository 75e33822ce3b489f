import { runServiceProcess } from '../../../shared/src/service/main.ts';
import { projectService } from './service.ts';

await runServiceProcess('project', projectService);
