export * from './model.ts';
export * from './neighbourhood.ts';
export * from './neo4j-reads.ts';
export * from './neo4j-server.ts';
export * from './neo4j.ts';
export * from './port.ts';
export * from './postgres-reads.ts';
export * from './postgres.ts';
