import type { Service, ServiceDeps } from '@mandant/shared/service/service.ts';
import { membershipHandlers } from './membership/handlers.ts';
import { membershipViews } from './views/projection.ts';

/** The membership service: users, their roles per project, per-project profiles and saved state. */
export function membershipService(deps: ServiceDeps): Service {
  return { name: 'membership', handlers: membershipHandlers(deps), projections: [membershipViews] };
}
