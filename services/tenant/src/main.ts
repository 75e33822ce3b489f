import { runServiceProcess } from '@mandant/shared/service/main.ts';
import { tenantService } from './service.ts';

await runServiceProcess('tenant', tenantService);
