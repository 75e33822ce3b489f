import type { Env } from '@mandant/shared/env.ts';
import type { RpcClient } from '@mandant/shared/rpc/rpc.ts';
import type { Service, ServiceDeps } from '@mandant/shared/service/service.ts';
import type { ReadStores } from '@mandant/shared/stores/read-stores.ts';

export interface ChatDeps extends ServiceDeps {
  stores: ReadStores;
  /** to call the search and entity services with the caller's own principal */
  rpc: RpcClient;
  env: Env;
}

/** Conversations in a project (or global) with cited answers. (Handlers land with the chat service.) */
export function chatService(_deps: ChatDeps): Service {
  return { name: 'chat', handlers: {}, projections: [] };
}
