import type { Service, ServiceDeps } from '@mandant/shared/service';
import { auditHandlers } from './audit/handlers.ts';
import { type LimitsDeps, limitsHandlers } from './limits/handlers.ts';
import { opsHandlers } from './ops/handlers.ts';
import { authHandlers } from './tenant/auth.ts';
import { tenantHandlers } from './tenant/handlers.ts';
import { tenantViews } from './views/projection.ts';

/** The tenant service: tenants, their settings and API keys, the audit read of the log, and the
 * operational figures behind the gateway's /metrics. */
export function tenantService(deps: ServiceDeps & Pick<LimitsDeps, 'env' | 'documents'>): Service {
  return {
    name: 'tenant',
    handlers: { ...tenantHandlers(deps), ...authHandlers(deps), ...auditHandlers(deps), ...opsHandlers(deps), ...limitsHandlers(deps) },
    projections: [tenantViews],
  };
}
