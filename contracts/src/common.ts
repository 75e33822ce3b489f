import { z } from 'zod';

export const Id = z.uuid();
export const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lowercase letters, digits and single dashes');
/** The 8-4-4-4-12 hex shape of a UUID, any version or variant, either case. */
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether `value` reads as a UUID (whether or not it is a valid one): project routes take such a path segment as an id, never a slug. */
export const isUuidShaped = (value: string): boolean => UUID_SHAPE.test(value);
/**
 * A project's slug: a `Slug` that is not shaped like a UUID, since project routes accept the
 * project's id or its slug in the same place and a UUID there always means an id.
 */
export const ProjectSlug = Slug.regex(
  /^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)/,
  'not shaped like a UUID (project routes read that as an id)',
);
export const Name = z.string().trim().min(1).max(200);
export const Description = z.string().max(5000);
/** A link a client may follow: http(s) only, so no `javascript:` or `data:` URL is stored and shown back. */
export const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000);
const YEAR_1 = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const YEAR_9999_END = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
/**
 * A point in time given by a client (ISO-8601 with an offset), between the years 1 and 9999 in
 * UTC: the forms every store casts (Postgres has no year 0, and ISO strings end at 9999).
 */
export const Instant = z.iso.datetime({ offset: true }).refine((v) => {
  const ms = Date.parse(v);
  return ms >= YEAR_1 && ms <= YEAR_9999_END;
}, 'a time between the years 1 and 9999');
/** A point in time the API answers with: ISO-8601 in UTC, as `Date.prototype.toISOString` writes it. */
export const Timestamp = z.iso.datetime();
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
