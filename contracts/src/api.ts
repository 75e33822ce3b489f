import { z } from 'zod';
import { Description, HttpUrl, Id, Name, ProjectRole, Settings, Slug, TenantRole } from './common.ts';
import { DocumentKind, DocumentStatus } from './events/document.ts';
import { Preferences, ProjectState } from './events/membership.ts';

/**
 * Inputs of every use case, shared by the HTTP edge (body + path parameters merged) and the
 * NATS request the gateway sends. Unknown keys are refused so a typo is a 400, not a no-op.
 * `rpc` names the message pattern of the service that owns the use case.
 */
export const rpc = {
  tenantProvision: 'tenant.provision',
  tenantOffboard: 'tenant.offboard',
  opsMetrics: 'ops.metrics',
  tenantList: 'tenant.list',
  tenantResolveSlug: 'tenant.resolve_slug',
  tenantGet: 'tenant.get',
  tenantSettingsPatch: 'tenant.settings.patch',
  apiKeyCreate: 'api_key.create',
  apiKeyList: 'api_key.list',
  apiKeyRevoke: 'api_key.revoke',
  authApiKey: 'auth.api_key',
  eventsList: 'audit.events.list',
  eventsVerify: 'audit.events.verify',
  projectionsStatus: 'projections.status',
  projectionsRetry: 'projections.retry',
  projectCreate: 'project.create',
  projectList: 'project.list',
  projectGet: 'project.get',
  projectUpdate: 'project.update',
  projectArchive: 'project.archive',
  projectUnarchive: 'project.unarchive',
  projectDelete: 'project.delete',
  userCreate: 'user.create',
  userList: 'user.list',
  memberList: 'member.list',
  memberGet: 'member.get',
  memberPut: 'member.put',
  memberDelete: 'member.delete',
  profileGet: 'profile.get',
  profilePut: 'profile.put',
  meProjects: 'me.projects',
  meSwitch: 'me.switch',
  documentUpload: 'document.upload',
  documentGet: 'document.get',
  documentList: 'document.list',
  documentDelete: 'document.delete',
  documentProjects: 'document.projects',
  documentLink: 'document.link',
  documentUnlink: 'document.unlink',
  searchRun: 'search.run',
  entityList: 'entity.list',
  entityGet: 'entity.get',
  entityCrossProject: 'entity.cross_project',
  entityMerge: 'entity.merge',
  entityNeighbourhood: 'entity.neighbourhood',
  graphGet: 'graph.get',
  conversationCreate: 'chat.conversation.create',
  conversationList: 'chat.conversation.list',
  conversationGet: 'chat.conversation.get',
  messagePost: 'chat.message.post',
} as const;

export const ProvisionTenantInput = z.strictObject({ name: Name, slug: Slug, settings: Settings.default({}) });
export const TenantIdInput = z.strictObject({ tenant_id: Id });
export const ResolveSlugInput = z.strictObject({ slug: Slug });
export const PatchSettingsInput = z.strictObject({ settings: Settings });
export const CreateApiKeyInput = z.strictObject({
  name: Name,
  user_id: Id.optional(),
  role: TenantRole.exclude(['member']).optional(),
}).refine((v) => (v.user_id === undefined) !== (v.role === undefined), { message: 'give exactly one of user_id or role', path: ['role'] });
export const ApiKeyIdInput = z.strictObject({ key_id: Id });
export const AuthApiKeyInput = z.strictObject({ secret: z.string().min(1).max(500) });
export const EventsListInput = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const ProjectIdInput = z.strictObject({ project_id: Id });
export const CreateProjectInput = z.strictObject({
  name: Name,
  slug: Slug.optional(),
  description: Description.default(''),
  settings: Settings.default({}),
});
export const UpdateProjectInput = z.strictObject({
  project_id: Id,
  name: Name.optional(),
  slug: Slug.optional(),
  description: Description.optional(),
  /** a patch: keys set to null are removed */
  settings: Settings.optional(),
});

export const CreateUserInput = z.strictObject({ email: z.email().max(320), name: Name });
export const MemberInput = z.strictObject({ project_id: Id, user_id: Id });
export const PutMemberInput = z.strictObject({ project_id: Id, user_id: Id, role: ProjectRole });
export const PutProfileInput = z.strictObject({
  project_id: Id,
  user_id: Id,
  display_name: Name.nullable().optional(),
  preferences: Preferences.optional(),
});
export const SwitchProjectInput = z.strictObject({
  project_id: Id,
  /** the working state of the project being left, saved so switching back restores it */
  save_state: ProjectState.optional(),
});

export const DocumentIdInput = z.strictObject({ document_id: Id });
/**
 * Sent by the gateway once it has sniffed the upload and stored the raw bytes (sealed) under
 * `blob_key`; the document service decides whether it is new or a duplicate of the same bytes.
 */
export const UploadDocumentInput = z.strictObject({
  document_id: Id,
  /** the project to link it to; null leaves it unassigned in the tenant */
  project_id: Id.nullable(),
  kind: DocumentKind,
  content_type: z.string().min(1).max(200),
  ext: z.string().regex(/^[a-z0-9]{1,10}$/),
  size: z.number().int().nonnegative(),
  content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  blob_key: z.string().min(1).max(512),
  title: z.string().trim().min(1).max(500).nullable().default(null),
  filename: z.string().max(500).nullable().default(null),
  source_url: HttpUrl.nullable().default(null),
});
/** The JSON form of an upload: text given inline instead of a file. */
export const DocumentFormInput = z.strictObject({
  title: z.string().trim().min(1).max(500).optional(),
  content: z.string().min(1),
  source_url: HttpUrl.optional(),
});
export const ListDocumentsInput = z.strictObject({
  /** absent: the global view (every document the caller may read, unassigned ones included) */
  project_id: Id.optional(),
  status: DocumentStatus.exclude(['deleted']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** the `next_cursor` of the previous page */
  cursor: z.string().max(200).optional(),
});
export const LinkDocumentsInput = z.strictObject({ project_id: Id, document_ids: z.array(Id).min(1).max(1000) });
export const UnlinkDocumentInput = z.strictObject({ project_id: Id, document_id: Id });

// Views returned by the services (and so by the HTTP API).
export interface TenantView { id: string; name: string; slug: string; settings: Record<string, unknown>; created_at: string; updated_at: string }
export interface ApiKeyView { id: string; name: string; user_id: string | null; role: string | null; prefix: string; created_at: string; revoked_at: string | null }
export interface UserView { id: string; /** null once erased (the tenant key destroyed) */ email: string | null; name: string | null; current_project_id: string | null; created_at: string }
export interface ProjectView {
  id: string; name: string; slug: string; description: string; settings: Record<string, unknown>;
  status: 'active' | 'archived'; created_at: string;
  stats: { documents: number; entities: number; members: number; last_activity_at: string };
}
export interface MemberView { project_id: string; user_id: string; role: ProjectRole; added_at: string }
export interface ProfileView { project_id: string; user_id: string; display_name: string | null; preferences: Record<string, unknown> }
export interface SwitchView { project: ProjectView; role: ProjectRole | null; profile: ProfileView | null; state: Record<string, unknown> }
export interface DocumentView {
  id: string; title: string | null; status: DocumentStatus; kind: string; content_type: string; size: number;
  content_sha256: string;
  /** the projects it is linked to that the caller may read */
  project_ids: string[];
  chunk_count: number; entity_count: number; pages: number | null;
  embeddings: { model: string; dimension: number }[];
  failure: { code: string; message: string } | null;
  uploaded_by: string; created_at: string; updated_at: string;
}
export interface UploadView { id: string; status: DocumentStatus; duplicate: boolean; project_ids: string[] }
