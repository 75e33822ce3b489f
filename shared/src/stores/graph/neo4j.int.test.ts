import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { pino } from 'pino';
import { afterAll, describe } from 'vitest';
import { backendMissing } from '../../testing/backends.ts';
import { describeGraphStore } from './graph-store.contract.ts';
import { createNeo4jGraphStore } from './neo4j.ts';
import { embeddedNeo4jUnavailable, startEmbeddedNeo4j } from './neo4j-server.ts';
import type { RunningNeo4j } from './neo4j-server.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const externalUrl = process.env.NEO4J_URL;
// no token at all for a server with authentication disabled (the embedded one)
const auth = process.env.NEO4J_USER ? neo4j.auth.basic(process.env.NEO4J_USER, process.env.NEO4J_PASSWORD ?? '') : undefined;

/** Why no Neo4j can be had: a configured server that does not answer, or no java/mvn to start one. */
async function unavailableReason(): Promise<string | null> {
  if (externalUrl === undefined) return embeddedNeo4jUnavailable();
  const driver = neo4j.driver(externalUrl, auth, { connectionTimeout: 3_000 });
  try {
    await driver.verifyConnectivity();
    return null;
  } catch (err) {
    return `cannot connect to ${externalUrl}: ${(err as Error).message}`;
  } finally {
    await driver.close();
  }
}

const reason = await unavailableReason();
let server: RunningNeo4j | undefined;
let driver: Driver | undefined;
afterAll(async () => {
  await driver?.close();
  await server?.stop();
});

// NEO4J_URL when set; else a real Neo4j 5 started here from tools/neo4j-embedded (java + mvn).
describe.skipIf(backendMissing('neo4j', reason))(`Neo4j graph store at ${externalUrl ?? 'embedded Neo4j 5'}`, () => {
  describeGraphStore('neo4j', async () => {
    server = externalUrl === undefined ? await startEmbeddedNeo4j({ log }) : undefined;
    driver = neo4j.driver(externalUrl ?? server?.url ?? '', auth);
    return createNeo4jGraphStore({ driver });
  }, { setupTimeoutMs: 600_000 }); // a cold Maven cache downloads Neo4j first; a warm start takes seconds
});
