import { runContextProcess } from '../views.ts';
import { createEmbedderRegistry, startIngestionWorker } from '@mandant/ingestion';

// The ingestion worker as its own process: durable consumers of uploads, links and model changes.
await runContextProcess('ingestion', () => [], {
  stores: true,
  start: async ({ sql, store, clock, log, stores, env, runtime, metrics }) => {
    if (!stores) throw new Error('read stores are required');
    return startIngestionWorker({
      sql,
      store,
      clock,
      log,
      transport: runtime.events,
      stores,
      metrics,
      embedders: createEmbedderRegistry({
        defaultModel: env.EMBEDDING_MODEL,
        embeddingsUrl: env.EMBEDDINGS_URL,
        apiKey: env.EMBEDDINGS_API_KEY,
        models: env.EMBEDDINGS_MODELS,
      }),
    });
  },
});
