export * from './event-transport.ts';
export * from './in-process.ts';
export * from './jetstream.ts';
