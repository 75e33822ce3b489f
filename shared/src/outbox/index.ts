export * from './relay.ts';
