import { z } from 'zod';
import { DocumentEvent } from './document.ts';
import { ConversationEvent, EntityEvent, SearchEvent } from './knowledge.ts';
import { MembershipEvent, UserEvent } from './membership.ts';
import { ProjectEvent } from './project.ts';
import { TenantEvent } from './tenant.ts';

export * from './document.ts';
export * from './knowledge.ts';
export * from './membership.ts';
export * from './project.ts';
export * from './tenant.ts';

/** Every event type this version of the platform knows, by its `type` and `data`. */
export const DomainEvent = z.union([
  TenantEvent,
  ProjectEvent,
  UserEvent,
  MembershipEvent,
  DocumentEvent,
  EntityEvent,
  SearchEvent,
  ConversationEvent,
]);
export type DomainEvent = z.infer<typeof DomainEvent>;
