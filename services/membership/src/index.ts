/**
 * @mandant/membership: users, project members and their roles, per-project profiles and state;
 * and the one access module every context asks who may do what.
 */
export {
  type ProjectAccess,
  isTenantAdmin,
  memberRoles,
  readableProjects,
  requireActor,
  requireOversight,
  requireProjectRole,
  requirePrincipal,
  requireReader,
  requireTenantAdmin,
  requireUser,
} from './access/access.ts';
export type { ProjectDirectory, ProjectListing, ProjectLookup } from './access/projects.ts';
export { membershipService } from './service.ts';
export type { MembershipDeps } from './membership/handlers.ts';
export { MEMBERSHIP_VIEWS, membershipViews } from './views/projection.ts';
export { grantProjectRole } from './membership/grant.ts';
export { userExists } from './user/exists.ts';
