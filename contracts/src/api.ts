import { z } from 'zod';
import { Description, HttpUrl, Id, Name, ProjectRole, ProjectSlug, Settings, Slug, TenantRole, Timestamp } from './common.ts';
import { DocumentKind, DocumentStatus, EntityType } from './events/document.ts';
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
  projectResolveSlug: 'project.resolve_slug',
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
  documentContent: 'document.content',
  documentEntities: 'document.entities',
  documentChunk: 'document.chunk',
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
export const CreateApiKeyInput = z
  .strictObject({
    name: Name,
    user_id: Id.optional(),
    role: TenantRole.exclude(['member']).optional(),
  })
  .refine((v) => (v.user_id === undefined) !== (v.role === undefined), { message: 'give exactly one of user_id or role', path: ['role'] });
/**
 * `CreateApiKeyInput` as JSON Schema can state it (the refinement above cannot be): exactly one
 * of a key acting as a user, or a tenant-level key with a role. The API documents this shape;
 * the refined schema stays the one that parses, for its error naming the field.
 */
export const CreateApiKeyBody = z.xor([
  z.strictObject({ name: Name, user_id: Id.describe('a user of the tenant: the key acts as that user') }),
  z.strictObject({ name: Name, role: TenantRole.exclude(['member']).describe('a tenant-level key with this role') }),
]);
export const ApiKeyIdInput = z.strictObject({ key_id: Id });
export const AuthApiKeyInput = z.strictObject({ secret: z.string().min(1).max(500) });
export const EventsListInput = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const ProjectIdInput = z.strictObject({ project_id: Id });
/**
 * A slug of the caller's tenant, current or former, to the id of the project holding it: how the
 * gateway turns `/projects/{slug}/…` into `/projects/{id}/…`. Answers `{ project_id }`, or
 * not_found when no project of the tenant holds it.
 */
export const ResolveProjectSlugInput = z.strictObject({ slug: Slug });
export const CreateProjectInput = z.strictObject({
  name: Name,
  slug: ProjectSlug.optional(),
  description: Description.default(''),
  settings: Settings.default({}),
});
export const UpdateProjectInput = z.strictObject({
  project_id: Id,
  name: Name.optional(),
  slug: ProjectSlug.optional(),
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
/** One passage of a document: chunk ids are name-based uuids of the document and the chunk's position. */
export const DocumentChunkInput = z.strictObject({ document_id: Id, chunk_id: Id });
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
/**
 * The multipart form of an upload, as the API documents it (the gateway reads it as a stream,
 * never through this schema): the file, sniffed from its bytes, and optional fields.
 */
export const DocumentUploadForm = z.strictObject({
  file: z.file().describe('the document; its type is sniffed from the bytes, never taken from the name'),
  title: z.string().trim().min(1).max(500).optional(),
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

// Views returned by the services (and so by the HTTP API): one zod schema each, its type inferred,
// so the OpenAPI document and the services' answers have one source. A view may gain fields
// (the document does not close them); a field never changes meaning.

export const TenantView = z
  .object({
    id: Id,
    name: z.string(),
    slug: z.string(),
    settings: Settings,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .describe('A tenant: the hard isolation boundary');
export type TenantView = z.infer<typeof TenantView>;
export const ProvisionedTenant = z.object({
  tenant: TenantView,
  admin_api_key: z.string().describe('the secret of the first tenant admin API key: shown once, never again'),
});
export const TenantSummary = z.object({ id: Id, name: z.string(), slug: z.string(), created_at: Timestamp });
export const TenantList = z.object({ tenants: z.array(TenantSummary) });

export const ApiKeyView = z.object({
  id: Id,
  name: z.string(),
  user_id: Id.nullable().describe('the user the key acts as; null for a tenant-level key'),
  role: TenantRole.exclude(['member']).nullable().describe('the tenant role of a tenant-level key; null for a user key'),
  prefix: z.string().describe('the first characters of the secret, to recognise the key'),
  created_at: Timestamp,
  revoked_at: Timestamp.nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;
export const IssuedApiKey = z.object({
  api_key: ApiKeyView,
  secret: z.string().describe('the key itself (`mnd_…`): shown once, never again'),
});
export const ApiKeyList = z.object({ api_keys: z.array(ApiKeyView) });

export const UserView = z.object({
  id: Id,
  email: z.string().nullable().describe('null once erased (the tenant key destroyed)'),
  name: z.string().nullable(),
  current_project_id: Id.nullable(),
  created_at: Timestamp,
});
export type UserView = z.infer<typeof UserView>;
export const UserList = z.object({ users: z.array(UserView) });

export const ProjectStats = z.object({
  documents: z.number().int().nonnegative().describe('documents linked to the project'),
  entities: z
    .number()
    .int()
    .nonnegative()
    .describe(
      'distinct entities the linked documents mention (merged ones once), as `GET /projects/{id}/entities` lists them; counted up to 10,000',
    ),
  members: z.number().int().nonnegative(),
  last_activity_at: Timestamp.describe(
    'the latest change to the project or its content: settings, members, documents uploaded, linked, unlinked, processed or deleted, ' +
      'conversations, entity merges',
  ),
});
export const ProjectStatus = z.enum(['active', 'archived']);
export const ProjectView = z.object({
  id: Id,
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  settings: Settings,
  status: ProjectStatus.describe('archived: read-only for content'),
  created_at: Timestamp,
  stats: ProjectStats,
});
export type ProjectView = z.infer<typeof ProjectView>;
/** A project as one caller sees it: with the caller's role there (tenant admins: admin). */
export const ProjectWithRole = ProjectView.extend({ role: ProjectRole.describe("the caller's role in the project") });
export const ProjectList = z.object({ projects: z.array(ProjectWithRole) });
export const MyProject = z.object({
  id: Id,
  name: z.string(),
  slug: z.string(),
  status: ProjectStatus,
  role: ProjectRole,
  current: z.boolean().describe('the project the caller last switched to'),
});
export const MyProjects = z.object({ projects: z.array(MyProject) });

export const MemberView = z.object({ project_id: Id, user_id: Id, role: ProjectRole, added_at: Timestamp });
export type MemberView = z.infer<typeof MemberView>;
export const MemberList = z.object({ members: z.array(MemberView) });
export const ProfileView = z.object({ project_id: Id, user_id: Id, display_name: z.string().nullable(), preferences: Preferences });
export type ProfileView = z.infer<typeof ProfileView>;
export const SwitchView = z.object({
  project: ProjectView,
  role: ProjectRole.nullable(),
  previous_project_id: Id.nullable().describe('the project switched away from, if any'),
  profile: ProfileView.nullable().describe("the caller's profile in the project; null when not a member (a tenant admin)"),
  state: ProjectState.describe('the working state saved when the caller last left this project'),
});
export type SwitchView = z.infer<typeof SwitchView>;

export const DocumentView = z.object({
  id: Id,
  title: z.string().nullable(),
  status: DocumentStatus,
  kind: DocumentKind.describe('sniffed from the bytes, never from the name'),
  content_type: z.string(),
  size: z.number().int().nonnegative(),
  content_sha256: z.string(),
  project_ids: z.array(Id).describe('the projects it is linked to that the caller may read'),
  chunk_count: z.number().int().nonnegative(),
  entity_count: z.number().int().nonnegative(),
  pages: z.number().int().nonnegative().nullable(),
  embeddings: z.array(z.object({ model: z.string(), dimension: z.number().int().positive() })),
  failure: z.object({ code: z.string(), message: z.string() }).nullable().describe('why processing failed; null unless `status` is failed'),
  uploaded_by: z.string().describe('the actor: `user:{id}` or `api_key:{id}`'),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type DocumentView = z.infer<typeof DocumentView>;
export const DocumentPage = z.object({
  documents: z.array(DocumentView),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
});
export const UploadView = z.object({
  id: Id,
  status: DocumentStatus,
  duplicate: z.boolean().describe('the same bytes were already a document the caller can read: this is that document, now linked here too'),
  project_ids: z.array(Id),
});
export type UploadView = z.infer<typeof UploadView>;
export const DocumentProjects = z.object({
  document_id: Id,
  projects: z.array(
    z.object({ id: Id, name: z.string(), slug: z.string(), status: ProjectStatus, linked_at: Timestamp, role: ProjectRole }),
  ),
});
/**
 * The most characters of a document's text one answer carries (about 2 MB of plain text): a
 * longer text is cut there and flagged `truncated`; its later passages are read one at a time.
 */
export const MAX_DOCUMENT_TEXT_CHARS = 2_000_000;

const Offset = z.number().int().nonnegative();
export const DocumentChunkSpan = z.object({
  chunk_id: Id.describe('the id search hits and chat citations carry'),
  index: z.number().int().nonnegative().describe('position in the document, from 0'),
  start: Offset.describe("offset of the passage's first character in the text (UTF-16 code units, as JavaScript indexes strings)"),
  end: Offset.describe('offset just after its last character: `text.slice(start, end)` is the passage'),
});
export const DocumentContent = z
  .object({
    document_id: Id,
    title: z.string().nullable(),
    text: z.string().describe('the extracted plain text, never HTML: render it as text'),
    truncated: z.boolean().describe('true when the text is longer than 2,000,000 characters and was cut there'),
    chunks: z
      .array(DocumentChunkSpan)
      .describe(
        'the passages search and chat cite, in order; consecutive ones overlap by a few words. Only passages that end inside `text` (all of them unless truncated)',
      ),
  })
  .describe("A processed document's extracted text and where each of its passages lies in it; 409 while it is not processed");
export type DocumentContent = z.infer<typeof DocumentContent>;
/**
 * How `document.content` travels between the document service and the gateway: a message bus
 * carries about 1 MB per message, so the text goes as a stream of pieces of at most this many
 * characters (`DocumentTextPiece`), then the answer itself with `text` empty and the number of
 * pieces sent; the gateway joins them into one `DocumentContent`.
 */
export const DOCUMENT_TEXT_PIECE_CHARS = 65_536;
export const DocumentTextPiece = z.object({ text: z.string().max(DOCUMENT_TEXT_PIECE_CHARS) });
export const DocumentContentReply = DocumentContent.extend({ pieces: z.number().int().nonnegative() });
export type DocumentContentReply = z.infer<typeof DocumentContentReply>;
export const DocumentEntity = z.object({
  entity_id: Id.describe(
    'the entity; one merged into another since the document was processed is listed as that one, with the mentions of both',
  ),
  name: z.string().describe('the first surface form found in this document (of the most mentioned, for merged ones)'),
  type: EntityType,
  mentions: z.number().int().positive().describe('how often this document mentions it'),
});
export const DocumentEntities = z
  .object({ document_id: Id, entities: z.array(DocumentEntity).describe('most mentioned first, then by name') })
  .describe('The entities a processed document mentions; 409 while it is not processed');
export type DocumentEntities = z.infer<typeof DocumentEntities>;
export const DocumentPassage = DocumentChunkSpan.extend({
  document_id: Id,
  title: z.string().nullable().describe("the document's title"),
  text: z.string().describe('the passage as plain text'),
}).describe('One passage of a document, as search hits and chat citations name it');
export type DocumentPassage = z.infer<typeof DocumentPassage>;
export const LinkResult = z.object({
  project_id: Id,
  linked: z.array(Id).describe('newly linked by this request'),
  already_linked: z.array(Id),
});
