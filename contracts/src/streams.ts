/** Aggregate stream ids. One place, so readers and writers never disagree on a name. */
export const streams = {
  tenant: (tenantId: string) => `tenant-${tenantId}`,
  project: (projectId: string) => `project-${projectId}`,
  user: (userId: string) => `user-${userId}`,
  membership: (projectId: string, userId: string) => `membership-${projectId}-${userId}`,
  document: (documentId: string) => `document-${documentId}`,
  entity: (entityId: string) => `entity-${entityId}`,
  search: (searchId: string) => `search-${searchId}`,
  conversation: (conversationId: string) => `conversation-${conversationId}`,
} as const;
