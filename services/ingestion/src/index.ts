export { createHashingEmbedder } from './embed/hashing.ts';
export { sniff } from './extract/sniff.ts';
export { type EmbedderRegistry, createEmbedderRegistry } from './worker/models.ts';
export { startIngestionWorker } from './worker/worker.ts';
export { extractEntities, type EntityType, type Mention } from './entities/extract.ts';
