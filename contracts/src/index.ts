export * from './common.ts';
export * from './envelope.ts';
export * from './events/index.ts';
export * from './streams.ts';
export * from './rpc.ts';
export * from './api.ts';
export * from './api-knowledge.ts';
