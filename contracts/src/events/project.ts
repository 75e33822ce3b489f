import { z } from 'zod';
import { Description, Name, Settings, Slug } from '../common.ts';

export const ProjectCreated = z.object({
  type: z.literal('project.created.v1'),
  data: z.object({ name: Name, slug: Slug, description: Description, settings: Settings }),
});
export const ProjectUpdated = z.object({
  type: z.literal('project.updated.v1'),
  data: z.object({ name: Name.optional(), slug: Slug.optional(), description: Description.optional() }),
});
export const ProjectSettingsChanged = z.object({
  type: z.literal('project.settings_changed.v1'),
  data: z.object({ settings: Settings }),
});
export const ProjectArchived = z.object({ type: z.literal('project.archived.v1'), data: z.object({}) });
export const ProjectUnarchived = z.object({ type: z.literal('project.unarchived.v1'), data: z.object({}) });
/** Deleting a project removes its links and memberships, never documents. */
export const ProjectDeleted = z.object({ type: z.literal('project.deleted.v1'), data: z.object({}) });

export const ProjectEvent = z.discriminatedUnion('type', [
  ProjectCreated,
  ProjectUpdated,
  ProjectSettingsChanged,
  ProjectArchived,
  ProjectUnarchived,
  ProjectDeleted,
]);
export type ProjectEvent = z.infer<typeof ProjectEvent>;
