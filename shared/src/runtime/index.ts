export * from './embedded-postgres.ts';
export * from './local.ts';
export * from './meilisearch-server.ts';
export * from './nats-cluster.ts';
export * from './nats-server.ts';
export * from './qdrant-server.ts';
export * from './s3-server.ts';
export * from './server-process.ts';
