export * from './idempotency-seal.ts';
export * from './idempotency.ts';
export * from './in-process.ts';
export * from './rpc.ts';
export {
  type RpcStreamContext,
  type RpcStreamEvent,
  type RpcStreamHandler,
  type RpcStreamOptions,
  RpcStreamError,
  streamingHandler,
} from './stream.ts';
