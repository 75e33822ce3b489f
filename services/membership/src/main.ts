import { runServiceProcess } from '../../../shared/src/service/main.ts';
import { membershipService } from './service.ts';

await runServiceProcess('membership', membershipService);
