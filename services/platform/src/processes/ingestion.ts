import { runContextProcess } from '../views.ts';
import { startIngestionWorker } from '@mandant/ingestion';
import { embeddingSetup } from '../embedding.ts';

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
      embedders: embeddingSetup(env, log).embedders,
    });
  },
});
