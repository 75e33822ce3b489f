import type { Service, ServiceDeps } from '@mandant/shared/service/service.ts';
import { auditHandlers } from './audit/handlers.ts';
import { tenantHandlers } from './tenant/handlers.ts';
import { tenantViews } from './views/projection.ts';

/** The tenant service: tenants, their settings and API keys, and the audit read of the log. */
export function tenantService(deps: ServiceDeps): Service {
  return {
    name: 'tenant',
    handlers: { ...tenantHandlers(deps), ...auditHandlers(deps) },
    projections: [tenantViews],
  };
}
