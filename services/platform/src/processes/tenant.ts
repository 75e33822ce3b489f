import { readEnv } from '@mandant/shared/env';
import { documentTotals } from '@mandant/documents';
import { runServiceProcess } from '@mandant/shared/service';
import { tenantService } from '@mandant/tenant';

// the limits' platform defaults (RATE_LIMIT_*, QUOTA_*) come from this process's environment
await runServiceProcess('tenant', (deps) => tenantService({ ...deps, env: readEnv(), documents: { totals: documentTotals } }));
