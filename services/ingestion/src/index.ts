export { createHashingEmbedder } from './embed/hashing.ts';
export { sniff } from './extract/sniff.ts';
export { type Embedder, type EmbedPurpose, cosineSimilarity } from './embed/embedder.ts';
export { LOCAL_MODELS, type LocalModel } from './embed/local-models.ts';
export {
  type DefaultModelChoice,
  type EmbedderRegistry,
  HASHING_MODEL,
  chooseDefaultModel,
  createEmbedderRegistry,
} from './worker/models.ts';
export { startIngestionWorker } from './worker/worker.ts';
