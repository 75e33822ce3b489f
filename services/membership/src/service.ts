import type { Service } from '@mandant/shared/service';
import { type MembershipDeps, membershipHandlers } from './membership/handlers.ts';
import { registerFromTokenHandlers } from './user/register.ts';
import { membershipViews } from './views/projection.ts';

/**
 * The membership service: users, their roles per project, per-project profiles and saved state.
 * `keyring` seals and opens the personal data in its events (the tenant's data key).
 */
export function membershipService(deps: MembershipDeps): Service {
  return {
    name: 'membership',
    handlers: { ...membershipHandlers(deps), ...registerFromTokenHandlers(deps) },
    projections: [membershipViews(deps.keyring)],
  };
}
