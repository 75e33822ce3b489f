import {
  ApiKeyIdInput, ConversationIdInput, CreateApiKeyInput, CreateConversationInput, CrossProjectInput, EntityIdInput, GraphInput,
  ListConversationsInput, ListEntitiesInput, MergeEntityInput, NeighbourhoodInput, PostMessageInput, SearchInput, DocumentFormInput, DocumentIdInput, LinkDocumentsInput, ListDocumentsInput, UnlinkDocumentInput, CreateProjectInput, CreateUserInput, EventsListInput, MemberInput, PatchSettingsInput,
  ProjectIdInput, ProvisionTenantInput, PutMemberInput, TenantIdInput, PutProfileInput, SwitchProjectInput, UpdateProjectInput, rpc,
} from '@mandant/contracts';
import { SetLimitsInput, TenantUsageQueryInput, UsageQueryInput, limitsRpc } from '@mandant/contracts';
import {
  ApiKeyList, ChainReportView, ConversationList, ConversationView, CreateApiKeyBody, CrossProjectEntities, DocumentPage, DocumentProjects, DocumentView,
  EntityPage, EntityView, EventPage, GraphView, IssuedApiKey, LimitsView, LinkResult, MemberList, MemberView, MergeResult, MessageView, MyProjects,
  ProfileView, ProjectList, ProjectView, ProjectWithRole, ProjectionsStatus, ProvisionedTenant, RetryRequested, SearchResult, SwitchView, TenantList,
  TenantView, TenantsUsage, UploadView, UsageView, UserList, UserView,
} from '@mandant/contracts';
import type { z } from 'zod';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route, checked at the edge before any message is sent:
 * - `operator`: the platform operator token only (tenant credentials get 403);
 * - `tenant`: a tenant principal, not an auditor;
 * - `audit`: a tenant principal, auditors included.
 * Every finer decision (roles, membership) is the owning service's.
 */
export type Access = 'operator' | 'tenant' | 'audit';

/** One HTTP route of the API and the use case it forwards to. This table is the only list of routes. */
export interface ApiRoute {
  /** also the OpenAPI operationId */
  name: string;
  method: HttpMethod;
  /** relative to API_PREFIX, Express syntax */
  path: string;
  pattern: string;
  /** the use case's input schema; absent: it takes none and `{}` is sent */
  input?: z.ZodType;
  /**
   * The request body as the API documents it, when `input` holds a rule JSON Schema cannot state
   * (a refinement); it must accept exactly what `input` accepts. Absent: `input` is documented.
   */
  body?: z.ZodType;
  /** the success answer's schema (a named view of the contracts); absent for 204 and event streams */
  output?: z.ZodType;
  /** path parameter → input key; each must be a uuid */
  params?: Record<string, string>;
  /** a read whose input comes from the query string */
  query?: boolean;
  /** success status: 201 for creates, 202 for uploads (processed afterwards), 204 for deletes, else 200 */
  status: 200 | 201 | 202 | 204;
  access: Access;
  /** served by a dedicated endpoint instead of the plain JSON forward: file uploads, server-sent events */
  handler?: 'upload' | 'status-stream' | 'chat-message';
  tag: string;
  summary: string;
}

const project = { id: 'project_id' };
const member = { id: 'project_id', user_id: 'user_id' };
const doc = { id: 'document_id' };
const entity = { id: 'entity_id' };
const conversation = { id: 'conversation_id' };

type Def = Omit<ApiRoute, 'name' | 'status' | 'access'> & { status?: ApiRoute['status']; access?: Access };
const def = (name: string, d: Def): ApiRoute => ({
  name,
  ...d,
  status: d.status ?? (d.method === 'DELETE' ? 204 : 200),
  access: d.access ?? 'tenant',
});

export const apiRoutes: readonly ApiRoute[] = [
  def('provisionTenant', { output: ProvisionedTenant, method: 'POST', path: '/tenants', pattern: rpc.tenantProvision, input: ProvisionTenantInput, status: 201, access: 'operator', tag: 'tenants', summary: 'Provision a tenant and its first admin API key' }),
  def('listTenants', { output: TenantList, method: 'GET', path: '/tenants', pattern: rpc.tenantList, access: 'operator', tag: 'tenants', summary: 'List all tenants' }),
  def('offboardTenant', { method: 'DELETE', path: '/tenants/:id', pattern: rpc.tenantOffboard, input: TenantIdInput, params: { id: 'tenant_id' }, access: 'operator', tag: 'tenants', summary: "Offboard a tenant: erase its read models, blobs and data keys (the log stays, unreadable)" }),
  def('getTenant', { output: TenantView, method: 'GET', path: '/tenant', pattern: rpc.tenantGet, tag: 'tenants', summary: "The caller's tenant" }),
  def('patchTenantSettings', { output: TenantView, method: 'PATCH', path: '/tenant/settings', pattern: rpc.tenantSettingsPatch, input: PatchSettingsInput, tag: 'tenants', summary: 'Patch tenant settings (null removes a key)' }),
  def('setTenantLimits', { output: LimitsView, method: 'PUT', path: '/tenants/:id/limits', pattern: limitsRpc.limitsSet, input: SetLimitsInput, params: { id: 'tenant_id' }, access: 'operator', tag: 'limits', summary: "Set a tenant's rate limits and quotas (null or left out: the platform default); recorded as an event of the tenant" }),
  def('listTenantsUsage', { output: TenantsUsage, method: 'GET', path: '/tenants/usage', pattern: limitsRpc.usageAll, input: UsageQueryInput, query: true, access: 'operator', tag: 'limits', summary: "Every tenant's usage and limits over a period of days (default: the last 30)" }),
  def('getTenantUsageOf', { output: UsageView, method: 'GET', path: '/tenants/:id/usage', pattern: limitsRpc.usageOfTenant, input: TenantUsageQueryInput, params: { id: 'tenant_id' }, query: true, access: 'operator', tag: 'limits', summary: "One tenant's usage and limits over a period of days" }),
  def('getTenantUsage', { output: UsageView, method: 'GET', path: '/tenant/usage', pattern: limitsRpc.usageGet, input: UsageQueryInput, query: true, access: 'audit', tag: 'limits', summary: "The caller's tenant usage (API, search, chat and upload calls, refusals, stored bytes, documents, events) and limits; tenant admins and auditors" }),

  def('createApiKey', { output: IssuedApiKey, method: 'POST', path: '/api-keys', pattern: rpc.apiKeyCreate, input: CreateApiKeyInput, body: CreateApiKeyBody, status: 201, tag: 'api-keys', summary: 'Issue an API key for a user or a tenant role' }),
  def('listApiKeys', { output: ApiKeyList, method: 'GET', path: '/api-keys', pattern: rpc.apiKeyList, tag: 'api-keys', summary: "List the tenant's API keys" }),
  def('revokeApiKey', { method: 'DELETE', path: '/api-keys/:id', pattern: rpc.apiKeyRevoke, input: ApiKeyIdInput, params: { id: 'key_id' }, tag: 'api-keys', summary: 'Revoke an API key' }),

  def('createUser', { output: UserView, method: 'POST', path: '/users', pattern: rpc.userCreate, input: CreateUserInput, status: 201, tag: 'users', summary: 'Register a user in the tenant' }),
  def('listUsers', { output: UserList, method: 'GET', path: '/users', pattern: rpc.userList, tag: 'users', summary: "List the tenant's users" }),
  def('listMembers', { output: MemberList, method: 'GET', path: '/projects/:id/members', pattern: rpc.memberList, input: ProjectIdInput, params: project, tag: 'members', summary: "List a project's members" }),
  def('getMember', { output: MemberView, method: 'GET', path: '/projects/:id/members/:user_id', pattern: rpc.memberGet, input: MemberInput, params: member, tag: 'members', summary: "A member's role in a project" }),
  def('putMember', { output: MemberView, method: 'PUT', path: '/projects/:id/members/:user_id', pattern: rpc.memberPut, input: PutMemberInput, params: member, tag: 'members', summary: 'Add a member or change their role' }),
  def('deleteMember', { method: 'DELETE', path: '/projects/:id/members/:user_id', pattern: rpc.memberDelete, input: MemberInput, params: member, tag: 'members', summary: 'Remove a member from a project' }),
  def('getProfile', { output: ProfileView, method: 'GET', path: '/projects/:id/members/:user_id/profile', pattern: rpc.profileGet, input: MemberInput, params: member, tag: 'members', summary: "A member's per-project profile" }),
  def('putProfile', { output: ProfileView, method: 'PUT', path: '/projects/:id/members/:user_id/profile', pattern: rpc.profilePut, input: PutProfileInput, params: member, tag: 'members', summary: "Update a member's per-project profile" }),
  def('myProjects', { output: MyProjects, method: 'GET', path: '/me/projects', pattern: rpc.meProjects, tag: 'me', summary: "The caller's projects and roles" }),
  def('switchProject', { output: SwitchView, method: 'POST', path: '/me/switch-project', pattern: rpc.meSwitch, input: SwitchProjectInput, tag: 'me', summary: 'Switch project, saving the state of the one left' }),

  def('createProject', { output: ProjectView, method: 'POST', path: '/projects', pattern: rpc.projectCreate, input: CreateProjectInput, status: 201, tag: 'projects', summary: 'Create a project' }),
  def('listProjects', { output: ProjectList, method: 'GET', path: '/projects', pattern: rpc.projectList, tag: 'projects', summary: 'List the projects the caller can see' }),
  def('getProject', { output: ProjectWithRole, method: 'GET', path: '/projects/:id', pattern: rpc.projectGet, input: ProjectIdInput, params: project, tag: 'projects', summary: 'A project with its stats' }),
  def('updateProject', { output: ProjectView, method: 'PATCH', path: '/projects/:id', pattern: rpc.projectUpdate, input: UpdateProjectInput, params: project, tag: 'projects', summary: 'Rename, re-slug, describe or re-configure a project' }),
  def('deleteProject', { method: 'DELETE', path: '/projects/:id', pattern: rpc.projectDelete, input: ProjectIdInput, params: project, tag: 'projects', summary: 'Delete a project (documents stay in the tenant)' }),
  def('archiveProject', { output: ProjectView, method: 'POST', path: '/projects/:id/archive', pattern: rpc.projectArchive, input: ProjectIdInput, params: project, tag: 'projects', summary: 'Archive a project (read-only)' }),
  def('unarchiveProject', { output: ProjectView, method: 'POST', path: '/projects/:id/unarchive', pattern: rpc.projectUnarchive, input: ProjectIdInput, params: project, tag: 'projects', summary: 'Unarchive a project' }),

  def('uploadProjectDocument', { output: UploadView, method: 'POST', path: '/projects/:id/documents', pattern: rpc.documentUpload, input: DocumentFormInput, params: project, handler: 'upload', status: 202, tag: 'documents', summary: 'Upload a document into a project: multipart `file` (+ `title`, `source_url`) or JSON {title, content, source_url}; 202, processed asynchronously' }),
  def('uploadDocument', { output: UploadView, method: 'POST', path: '/documents', pattern: rpc.documentUpload, input: DocumentFormInput, handler: 'upload', status: 202, tag: 'documents', summary: 'Upload an unassigned document into the tenant (same forms as the project upload)' }),
  def('listProjectDocuments', { output: DocumentPage, method: 'GET', path: '/projects/:id/documents', pattern: rpc.documentList, input: ListDocumentsInput, params: project, query: true, tag: 'documents', summary: "A project's documents" }),
  def('listDocuments', { output: DocumentPage, method: 'GET', path: '/documents', pattern: rpc.documentList, input: ListDocumentsInput, query: true, tag: 'documents', summary: 'Every document the caller may read (global view, unassigned ones included)' }),
  def('getDocument', { output: DocumentView, method: 'GET', path: '/documents/:id', pattern: rpc.documentGet, input: DocumentIdInput, params: doc, tag: 'documents', summary: 'A document with its status and the projects it is in' }),
  def('documentStatusStream', { method: 'GET', path: '/documents/:id/status', pattern: rpc.documentGet, input: DocumentIdInput, params: doc, handler: 'status-stream', tag: 'documents', summary: 'Server-sent `status` events until the document is processed or failed' }),
  def('documentProjects', { output: DocumentProjects, method: 'GET', path: '/documents/:id/projects', pattern: rpc.documentProjects, input: DocumentIdInput, params: doc, tag: 'documents', summary: 'The projects a document is linked to (those the caller can read)' }),
  def('deleteDocument', { method: 'DELETE', path: '/documents/:id', pattern: rpc.documentDelete, input: DocumentIdInput, params: doc, tag: 'documents', summary: 'Delete a document from every store and project' }),
  def('linkDocuments', { output: LinkResult, method: 'POST', path: '/projects/:id/documents/link', pattern: rpc.documentLink, input: LinkDocumentsInput, params: project, tag: 'documents', summary: 'Link documents of the tenant to a project (no copies)' }),
  def('unlinkDocument', { method: 'DELETE', path: '/projects/:id/documents/:doc_id/unlink', pattern: rpc.documentUnlink, input: UnlinkDocumentInput, params: { id: 'project_id', doc_id: 'document_id' }, tag: 'documents', summary: 'Unlink a document from a project' }),
  def('searchProject', { output: SearchResult, method: 'POST', path: '/projects/:id/search', pattern: rpc.searchRun, input: SearchInput, params: project, tag: 'search', summary: "Search a project's documents: hybrid (default), keyword or vector, with filters and highlights" }),
  def('searchGlobal', { output: SearchResult, method: 'POST', path: '/search', pattern: rpc.searchRun, input: SearchInput.omit({ project_id: true }), tag: 'search', summary: 'Search every project the caller may read (global view); each hit lists its projects' }),
  def('listProjectEntities', { output: EntityPage, method: 'GET', path: '/projects/:id/entities', pattern: rpc.entityList, input: ListEntitiesInput, params: project, query: true, tag: 'entities', summary: 'Entities appearing in a project, most mentioned first; search by name and type' }),
  def('listEntities', { output: EntityPage, method: 'GET', path: '/entities', pattern: rpc.entityList, input: ListEntitiesInput.omit({ project_id: true }), query: true, tag: 'entities', summary: 'Entities across the projects the caller may read; search by name and type' }),
  def('crossProjectEntities', { output: CrossProjectEntities, method: 'GET', path: '/entities/cross-project', pattern: rpc.entityCrossProject, input: CrossProjectInput, query: true, tag: 'entities', summary: 'Entities that appear in more than one readable project, most shared first' }),
  def('getEntity', { output: EntityView, method: 'GET', path: '/entities/:id', pattern: rpc.entityGet, input: EntityIdInput, params: entity, tag: 'entities', summary: 'An entity with its aliases, projects and mention counts' }),
  def('entityNeighbourhood', { output: GraphView, method: 'GET', path: '/entities/:id/neighbourhood', pattern: rpc.entityNeighbourhood, input: NeighbourhoodInput, params: entity, query: true, tag: 'entities', summary: "An entity's related entities to a given depth, bounded, as nodes and edges" }),
  def('mergeEntity', { output: MergeResult, method: 'POST', path: '/entities/:id/merge', pattern: rpc.entityMerge, input: MergeEntityInput, params: entity, tag: 'entities', summary: 'Merge a duplicate entity into another (aliases kept)' }),
  def('projectGraph', { output: GraphView, method: 'GET', path: '/projects/:id/graph', pattern: rpc.graphGet, input: GraphInput, params: project, query: true, tag: 'graph', summary: "A project's entity graph as nodes and edges" }),
  def('tenantGraph', { output: GraphView, method: 'GET', path: '/graph', pattern: rpc.graphGet, input: GraphInput.omit({ project_id: true }), query: true, tag: 'graph', summary: 'The entity graph over every readable project' }),
  def('createProjectConversation', { output: ConversationView, method: 'POST', path: '/projects/:id/chat/conversations', pattern: rpc.conversationCreate, input: CreateConversationInput, params: project, status: 201, tag: 'chat', summary: 'Start a conversation in a project' }),
  def('listProjectConversations', { output: ConversationList, method: 'GET', path: '/projects/:id/chat/conversations', pattern: rpc.conversationList, input: ListConversationsInput, params: project, query: true, tag: 'chat', summary: "A project's conversations" }),
  def('createConversation', { output: ConversationView, method: 'POST', path: '/chat/conversations', pattern: rpc.conversationCreate, input: CreateConversationInput.omit({ project_id: true }), status: 201, tag: 'chat', summary: 'Start a global conversation (tenant-wide context)' }),
  def('listConversations', { output: ConversationList, method: 'GET', path: '/chat/conversations', pattern: rpc.conversationList, input: ListConversationsInput.omit({ project_id: true }), query: true, tag: 'chat', summary: "The caller's global conversations" }),
  def('getConversation', { output: ConversationView, method: 'GET', path: '/chat/conversations/:id', pattern: rpc.conversationGet, input: ConversationIdInput, params: conversation, tag: 'chat', summary: 'A conversation with its messages and citations' }),
  def('postMessage', { output: MessageView, method: 'POST', path: '/chat/conversations/:id/messages', pattern: rpc.messagePost, input: PostMessageInput, params: conversation, handler: 'chat-message', status: 201, tag: 'chat', summary: 'Ask a question: the answer comes whole, or as server-sent events with `stream: true`' }),
  def('listEvents', { output: EventPage, method: 'GET', path: '/events', pattern: rpc.eventsList, input: EventsListInput, query: true, access: 'audit', tag: 'audit', summary: "Read the caller's tenant event log from a position" }),
  def('verifyEvents', { output: ChainReportView, method: 'GET', path: '/events/verify', pattern: rpc.eventsVerify, access: 'audit', tag: 'audit', summary: "Verify the tenant's hash chain" }),
  def('projectionsStatus', { output: ProjectionsStatus, method: 'GET', path: '/projections/status', pattern: rpc.projectionsStatus, access: 'audit', tag: 'audit', summary: 'Projector positions, lag and dead letters for the tenant' }),
  def('retryDeadLetters', { output: RetryRequested, method: 'POST', path: '/projections/retry', pattern: rpc.projectionsRetry, status: 202, tag: 'audit', summary: "Apply the tenant's dead-lettered events again after a fix (tenant admins; carried out by each projector within seconds)" }),
];

/** The upload routes read their own bodies (multipart or JSON up to the upload limit). */
export function isUploadRequest(method: string | undefined, url: string | undefined): boolean {
  return method === 'POST' && /^\/api\/v1\/(?:projects\/[^/?]+\/)?documents\/?(?:\?|$)/.test(url ?? '');
}

/** Operational routes: no authentication, not forwarded to any service. */
export const opsRoutes = [
  { name: 'healthz', path: '/healthz', summary: 'Liveness: the process answers' },
  { name: 'readyz', path: '/readyz', summary: 'Readiness: the backing stores and transports answer' },
  { name: 'metrics', path: '/metrics', summary: 'Prometheus metrics' },
  { name: 'openapi', path: '/openapi.json', summary: 'This document' },
] as const;
