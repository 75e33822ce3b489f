import { isUuidShaped } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { slugify } from '../views/project-view.ts';

/*
 * `project_slugs` holds every slug a project of the tenant has had: its current one and the ones
 * it was renamed from. A slug stays with its project for the project's life, so an old URL keeps
 * leading to the project it named, and no other project of the tenant can take it meanwhile
 * (the project itself may take it back). Deleting a project releases all its slugs.
 */

/**
 * Claims `slug` for `projectId` inside the command's transaction: true when it is free or held
 * by this project already (one of its former slugs), false when another project holds it.
 */
export async function claimProjectSlug(tx: Tx, tenantId: string, projectId: string, slug: string): Promise<boolean> {
  const rows = await tx`insert into project_slugs (tenant_id, slug, project_id) values (${tenantId}, ${slug}, ${projectId})
    on conflict (tenant_id, slug) do update set project_id = excluded.project_id where project_slugs.project_id = excluded.project_id
    returning slug`;
  return rows.length > 0;
}

/** Releases every slug of a deleted project. */
export async function releaseProjectSlugs(tx: Tx, tenantId: string, projectId: string): Promise<void> {
  await tx`delete from project_slugs where tenant_id = ${tenantId} and project_id = ${projectId}`;
}

/**
 * The id of the project of `tenantId` that holds `slug`, current or former; null when none does
 * (never created, deleted, or another tenant's). Run inside `withTenant` for `tenantId`.
 */
export async function resolveProjectSlug(tx: Tx, tenantId: string, slug: string): Promise<string | null> {
  if (isUuidShaped(slug)) return null;
  const rows = await tx<{ project_id: string }[]>`select project_id from project_slugs where tenant_id = ${tenantId} and slug = ${slug}`;
  return rows[0]?.project_id ?? null;
}

/** The slug a project named `name` starts from when none is given: never shaped like a UUID. */
export function slugBaseOf(name: string): string {
  const base = slugify(name);
  return isUuidShaped(base) ? `project-${base}` : base;
}
