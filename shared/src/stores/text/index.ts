export * from './meilisearch.ts';
export * from './port.ts';
export * from './postgres.ts';
export * from './query.ts';
export * from './snippet.ts';
