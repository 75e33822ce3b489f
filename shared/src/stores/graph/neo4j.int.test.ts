import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { pino } from 'pino';
import { afterAll, describe } from 'vitest';
import { backendMissing } from '../../testing/backends.ts';
import { externalNeo4jUrl, neo4jTestAuth, neo4jUnavailable } from '../../testing/neo4j.ts';
import { describeGraphStore } from './graph-store.contract.ts';
import { createNeo4jGraphStore } from './neo4j.ts';
import { startEmbeddedNeo4j } from './neo4j-server.ts';
import type { RunningNeo4j } from './neo4j-server.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const externalUrl = externalNeo4jUrl;
const auth = neo4jTestAuth;

const reason = await neo4jUnavailable();
let server: RunningNeo4j | undefined;
let driver: Driver | undefined;
afterAll(async () => {
  await driver?.close();
  await server?.stop();
});

// NEO4J_URL when set; else a real Neo4j 5 started here from tools/neo4j-embedded (java + mvn).
describe.skipIf(backendMissing('neo4j', reason))(`Neo4j graph store at ${externalUrl ?? 'embedded Neo4j 5'}`, () => {
  describeGraphStore(
    'neo4j',
    async () => {
      server = externalUrl === undefined ? await startEmbeddedNeo4j({ log }) : undefined;
      driver = neo4j.driver(externalUrl ?? server?.url ?? '', auth);
      return createNeo4jGraphStore({ driver });
    },
    { setupTimeoutMs: 600_000 },
  ); // a cold Maven cache downloads Neo4j first; a warm start takes seconds
});
