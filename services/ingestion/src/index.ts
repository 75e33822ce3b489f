export { createHashingEmbedder } from './embed/hashing.ts';
export { sniff } from './extract/sniff.ts';
export { chunkingFor, processDocument, type ProcessedDocument, type ProcessResult } from './pipeline.ts';
export { chunkText, type Chunk, type ChunkOptions } from './chunk/chunk.ts';
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
export { extractEntities, type EntityType, type Mention } from './entities/extract.ts';
