import { readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { runContextProcess } from '../views.ts';
import { embeddingSetup } from '../embedding.ts';
import { searchService } from '@mandant/search';

// The search service as its own process: it reads the vector and text stores, opens analysis
// artefacts for snippets (MANDANT_MASTER_KEY) and embeds queries with the same models as ingestion.
const env = readEnv();
const { embedders } = embeddingSetup(env, createLogger({ level: env.LOG_LEVEL, name: 'mandant-search' }));
await runContextProcess(
  'search',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return searchService({ ...deps, stores: deps.stores, embedders });
  },
  { stores: true },
);
