import type { Env } from '@mandant/shared/env';
import type { Logger } from '@mandant/shared/log';
import { type DefaultModelChoice, type EmbedderRegistry, chooseDefaultModel, createEmbedderRegistry } from '@mandant/ingestion';

/**
 * The embedding models of one process, from the environment. `EMBEDDING_MODEL=auto` (the
 * default) becomes all-minilm-l6-v2-q when it is installed in MODELS_DIR, else the hashing
 * model: then the process says so loudly (a warning at start-up; the all-in-one platform also
 * in /readyz's `details.embedding`), since search is then lexical, not semantic. Ingestion and
 * search resolve `auto` the same way, so a split deployment must install the model for both.
 */
export interface EmbeddingSetup {
  embedders: EmbedderRegistry;
  embedding: DefaultModelChoice;
}

export function embeddingSetup(env: Env, log?: Logger): EmbeddingSetup {
  const embedding = chooseDefaultModel(env.EMBEDDING_MODEL, env.MODELS_DIR);
  if (embedding.degraded) {
    log?.warn({ embedding }, `EMBEDDING DEGRADED: using ${embedding.model}, not a semantic model: ${embedding.reason ?? ''}`);
  } else log?.info({ embedding_model: embedding.model }, 'embedding model');
  const embedders = createEmbedderRegistry({
    defaultModel: embedding.model,
    embeddingsUrl: env.EMBEDDINGS_URL,
    apiKey: env.EMBEDDINGS_API_KEY,
    models: env.EMBEDDINGS_MODELS,
    modelsDir: env.MODELS_DIR,
    ...(env.EMBEDDING_THREADS === undefined ? {} : { local: { threads: env.EMBEDDING_THREADS } }),
  });
  return { embedders, embedding };
}

/** The registry alone, for tools that embed nothing new (replay, the CLI). */
export const embedderRegistry = (env: Env, log?: Logger): EmbedderRegistry => embeddingSetup(env, log).embedders;
