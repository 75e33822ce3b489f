import { readEnv } from '@mandant/shared/env';
import { runContextProcess } from '../views.ts';
import { createEmbedderRegistry } from '@mandant/ingestion';
import { searchService } from '@mandant/search';

// The search service as its own process: it reads the vector and text stores, opens analysis
// artefacts for snippets (MANDANT_MASTER_KEY) and embeds queries with the same models as ingestion.
const env = readEnv();
const embedders = createEmbedderRegistry({
  defaultModel: env.EMBEDDING_MODEL,
  embeddingsUrl: env.EMBEDDINGS_URL,
  apiKey: env.EMBEDDINGS_API_KEY,
  models: env.EMBEDDINGS_MODELS,
});
await runContextProcess(
  'search',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return searchService({ ...deps, stores: deps.stores, embedders });
  },
  { stores: true },
);
