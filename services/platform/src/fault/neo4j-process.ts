import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { delimiter, join } from 'node:path';
import type { Logger } from '@mandant/shared/log';
import { NEO4J_TOOL_DIR, buildEmbeddedNeo4j } from '@mandant/shared/stores/graph';

/**
 * The embedded Neo4j 5 of `tools/neo4j-embedded` on a data directory the caller chooses (and a
 * port it may choose), so a fault test can SIGKILL it and start it again on the same store (the
 * shared launcher picks a fresh directory on every start, which would lose the graph the
 * projector's checkpoint stands for). The read-store outage test keeps its clients on a relay
 * (tcp-relay.ts) rather than on the server's port, so the restart needs no port to stay free.
 * Without a port, Bolt binds one the OS picks (port 0) and the JVM's READY line names it.
 */
export interface Neo4jProcess {
  url: string;
  /** the Bolt port of `url` */
  port: number;
  /** SIGKILL: no shutdown, no checkpoint; Neo4j recovers from its transaction log on restart */
  kill(): Promise<void>;
  /** closes stdin: the JVM halts at once (see Main.java) */
  stop(): Promise<void>;
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
const waitForExit = (c: ChildProcess): Promise<void> =>
  exited(c) ? Promise.resolve() : new Promise((resolve) => c.once('exit', () => resolve()));

export interface StartNeo4jProcessOptions {
  /** the Bolt port; default 0: the JVM binds a port the OS picks and reports it */
  port?: number;
  dataDir: string;
  log: Logger;
  /** from spawn to the READY line; default 180 s (a generous bound: a JVM on a loaded machine) */
  startTimeoutMs?: number;
}

export async function startNeo4jProcess(o: StartNeo4jProcessOptions): Promise<Neo4jProcess> {
  await buildEmbeddedNeo4j(o.log);
  const deps = (await readFile(join(NEO4J_TOOL_DIR, 'target/cp.txt'), 'utf8')).trim();
  const classpath = `${join(NEO4J_TOOL_DIR, 'target/classes')}${delimiter}${deps}`;
  return startOnce(o, classpath, o.port ?? 0);
}

async function startOnce(o: StartNeo4jProcessOptions, classpath: string, port: number): Promise<Neo4jProcess> {
  const child = spawn('java', ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-cp', classpath, 'Main', String(port), o.dataDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // every later 'error' (a failed kill, EPIPE on the stdin of a JVM already gone) is heard too
  child.on('error', (err) => o.log.warn({ err }, 'neo4j process error'));
  child.stdin.on('error', () => undefined);
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const lines = createInterface({ input: child.stdout });
  lines.on('line', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('no READY line in time'), o.startTimeoutMs ?? 180_000);
    function fail(why: string): void {
      clearTimeout(timer);
      if (!exited(child)) child.kill('SIGKILL');
      reject(new Error(`neo4j${port === 0 ? '' : ` on port ${port}`} did not start: ${why}: ${tail.join(' | ').slice(-2000)}`));
    }
    lines.on('line', (line) => {
      const ready = /^READY (\S+)$/.exec(line.trim());
      if (!ready?.[1]) return;
      clearTimeout(timer);
      resolve(ready[1]);
    });
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.once('error', (err) => fail(err.message));
  });
  return {
    url,
    port: Number(new URL(url).port),
    async kill() {
      if (!exited(child)) child.kill('SIGKILL');
      await waitForExit(child);
    },
    async stop() {
      if (!exited(child)) child.stdin?.end();
      await waitForExit(child);
    },
  };
}
