export * from './cached-collection.ts';
export * from './port.ts';
export * from './postgres.ts';
export * from './qdrant.ts';
export * from './top-k.ts';
export * from './vector-cache.ts';
