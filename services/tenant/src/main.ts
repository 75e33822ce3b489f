import { runServiceProcess } from '../../../shared/src/service/main.ts';
import { tenantService } from './service.ts';

await runServiceProcess('tenant', tenantService);
