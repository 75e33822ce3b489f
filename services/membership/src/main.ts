import { runServiceProcess } from '@mandant/shared/service/main.ts';
import { membershipService } from './service.ts';

await runServiceProcess('membership', membershipService);
