import neo4j from 'neo4j-driver';
import { embeddedNeo4jUnavailable } from '../stores/graph/neo4j-server.ts';

/** `NEO4J_URL` (with `NEO4J_USER`/`NEO4J_PASSWORD`) when set; else the graph suites start an embedded Neo4j 5. */
export const externalNeo4jUrl = process.env.NEO4J_URL;
/** No token at all for a server with authentication disabled (the embedded one). */
export const neo4jTestAuth = process.env.NEO4J_USER
  ? neo4j.auth.basic(process.env.NEO4J_USER, process.env.NEO4J_PASSWORD ?? '')
  : undefined;

/** Why no Neo4j can be had: a configured server that does not answer, or no java/mvn to start one. */
export async function neo4jUnavailable(): Promise<string | null> {
  if (externalNeo4jUrl === undefined) return embeddedNeo4jUnavailable();
  const driver = neo4j.driver(externalNeo4jUrl, neo4jTestAuth, { connectionTimeout: 3_000 });
  try {
    await driver.verifyConnectivity();
    return null;
  } catch (err) {
    return `cannot connect to ${externalNeo4jUrl}: ${(err as Error).message}`;
  } finally {
    await driver.close();
  }
}
