export * from './idempotency-seal.ts';
export * from './idempotency.ts';
export * from './in-process.ts';
export * from './rpc.ts';
