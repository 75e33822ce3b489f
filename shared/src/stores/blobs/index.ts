export * from './encrypting.ts';
export * from './local.ts';
export * from './memory.ts';
export * from './port.ts';
export * from './s3.ts';
