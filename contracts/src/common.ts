import { z } from 'zod';

export const Id = z.uuid();
export const Slug = z.string().min(2).max(63).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lowercase letters, digits and single dashes');
export const Name = z.string().trim().min(1).max(200);
export const Description = z.string().max(5000);
/** A link a client may follow: http(s) only, so no `javascript:` or `data:` URL is stored and shown back. */
export const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000);
/** Free-form settings: a JSON object, bounded in size at the HTTP edge. */
export const Settings = z.record(z.string(), z.unknown());
export type Settings = z.infer<typeof Settings>;

export const ProjectRole = z.enum(['viewer', 'editor', 'admin']);
export type ProjectRole = z.infer<typeof ProjectRole>;
export const TenantRole = z.enum(['tenant_admin', 'auditor', 'member']);
export type TenantRole = z.infer<typeof TenantRole>;

const rank: Record<ProjectRole, number> = { viewer: 1, editor: 2, admin: 3 };
/** viewer < editor < admin */
export function roleAtLeast(role: ProjectRole, needed: ProjectRole): boolean {
  return rank[role] >= rank[needed];
}
