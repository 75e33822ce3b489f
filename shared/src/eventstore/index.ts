export * from './append-errors.ts';
export * from './event-store.ts';
export * from './hash-chain.ts';
