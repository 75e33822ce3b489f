import { readEnv } from '@mandant/shared/env';
import { documentTotals } from '@mandant/documents';
import { runContextProcess } from '../views.ts';
import { tenantService } from '@mandant/tenant';

// the limits' platform defaults (RATE_LIMIT_*, QUOTA_*) come from this process's environment
await runContextProcess('tenant', (deps) => tenantService({ ...deps, env: readEnv(), documents: { totals: documentTotals } }));
