import type { Env } from '@mandant/shared/env';
import type { RpcClient } from '@mandant/shared/rpc';
import type { Service, ServiceDeps } from '@mandant/shared/service';
import type { ReadStores } from '@mandant/shared/stores';
import { chatCompletionsGenerator } from './answer/chat-completions.ts';
import { type Generator, extractiveGenerator } from './answer/generate.ts';
import { chatHandlers } from './conversation/handlers.ts';
import { conversationViews } from './views/projection.ts';

export interface ChatDeps extends ServiceDeps {
  stores: ReadStores;
  /** to call the search and entity services with the caller's own principal */
  rpc: RpcClient;
  env: Env;
}

export class ChatConfigError extends Error {
  override readonly name = 'ChatConfigError';
}

/** The chat model of `CHAT_URL` (+ `CHAT_MODEL`, `CHAT_API_KEY`), else deterministic extractive answers. */
export function generatorFromEnv(env: Pick<Env, 'CHAT_URL' | 'CHAT_MODEL' | 'CHAT_API_KEY'>): Generator {
  if (!env.CHAT_URL) return extractiveGenerator;
  if (!env.CHAT_MODEL) throw new ChatConfigError('CHAT_URL needs CHAT_MODEL (the model id to ask)');
  return chatCompletionsGenerator({ baseUrl: env.CHAT_URL, model: env.CHAT_MODEL, apiKey: env.CHAT_API_KEY });
}

/** Conversations in a project (or global) with cited answers, and their relational views. */
export function chatService(deps: ChatDeps): Service {
  const { stores, env, ...rest } = deps;
  return {
    name: 'chat',
    handlers: chatHandlers({ ...rest, keyring: stores.keyring, generator: generatorFromEnv(env) }),
    projections: [conversationViews(stores.keyring)],
  };
}
