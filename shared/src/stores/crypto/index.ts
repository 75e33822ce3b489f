export * from './data-keys.ts';
export * from './memory-key-store.ts';
export * from './postgres-key-store.ts';
export * from './sealed-json.ts';
export * from './rotation.ts';
