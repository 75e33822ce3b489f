import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from '../log.ts';
import { type ServerProcess, spawnServer, waitUntilReady } from './server-process.ts';

/**
 * A NATS JetStream cluster of local nats-server processes, for the one-machine production
 * topology (`npm run stack`) and the tests that kill its nodes. Every node binds its client
 * and route ports itself (port -1) and the launcher reads them from the node's log; a node
 * started again after a kill takes the ports it had, with its JetStream store, so clients
 * and routes find it where they left it.
 *
 * Clustered JetStream refuses to start without configured routes, and the first node cannot
 * know the others' ports yet: it starts with a route nobody answers, the others route to it,
 * and once all are up its configuration names them and is reloaded (SIGHUP).
 */
export interface NatsClusterNode {
  readonly name: string;
  readonly url: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly running: boolean;
}

export interface RunningNatsCluster {
  /** every node's client URL, comma-separated: what NATS_URL takes */
  url: string;
  nodes: readonly NatsClusterNode[];
  /** SIGKILL node `i`: no flush, no goodbye to its routes */
  kill(i: number): Promise<void>;
  /** starts node `i` again on its ports and store, and waits until JetStream answers */
  restart(i: number): Promise<void>;
  /** SIGTERM every node (JetStream flushes), SIGKILL after 10 s; safe to call twice */
  stop(): Promise<void>;
}

export interface StartNatsClusterOptions {
  binary: string;
  /** one store directory per node beneath it; reuse it to keep streams across starts */
  dir: string;
  size?: number;
  clusterName?: string;
  log: Logger;
  /** default 120 s: it only bounds a broken start (on a loaded machine); a working one returns at once */
  startTimeoutMs?: number;
}

/** A route no server answers: only there so the first node's JetStream starts clustered. */
const PLACEHOLDER_ROUTE = 'nats://127.0.0.1:1';
const CLIENT = /Listening for client connections on 127\.0\.0\.1:(\d+)/;
const ROUTES = /Listening for route connections on 127\.0\.0\.1:(\d+)/;

interface Node {
  name: string;
  storeDir: string;
  confPath: string;
  clientPort: number;
  clusterPort: number;
  process: ServerProcess | null;
}

function config(n: Node, clusterName: string, routes: string[]): string {
  const listen = (port: number) => `127.0.0.1:${port === 0 ? -1 : port}`;
  return [
    `server_name: ${JSON.stringify(n.name)}`,
    `listen: ${listen(n.clientPort)}`,
    `jetstream { store_dir: ${JSON.stringify(n.storeDir)} }`,
    `cluster { name: ${JSON.stringify(clusterName)}, listen: ${listen(n.clusterPort)}, routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}] }`,
    '',
  ].join('\n');
}

export async function startNatsCluster(o: StartNatsClusterOptions): Promise<RunningNatsCluster> {
  const size = o.size ?? 3;
  const clusterName = o.clusterName ?? 'mandant';
  const timeoutMs = o.startTimeoutMs ?? 120_000;
  const nodes: Node[] = Array.from({ length: size }, (_, i) => {
    const name = `nats-${i + 1}`;
    const storeDir = join(o.dir, name);
    mkdirSync(storeDir, { recursive: true });
    return { name, storeDir, confPath: join(o.dir, `${name}.conf`), clientPort: 0, clusterPort: 0, process: null };
  });
  const routesTo = (except: Node): string[] =>
    nodes.filter((n) => n !== except && n.clusterPort > 0).map((n) => `nats://127.0.0.1:${n.clusterPort}`);

  async function launch(n: Node, routes: string[]): Promise<void> {
    writeFileSync(n.confPath, config(n, clusterName, routes));
    const log = o.log.child({ component: n.name });
    const seen = { client: false, cluster: false };
    const server = spawnServer({
      name: n.name,
      binary: o.binary,
      args: ['-c', n.confPath],
      log,
      onExitSignal: 'SIGTERM',
      onLine: (line) => {
        const client = CLIENT.exec(line)?.[1];
        const cluster = ROUTES.exec(line)?.[1];
        if (client !== undefined) {
          n.clientPort = Number(client);
          seen.client = true;
        }
        if (cluster !== undefined) {
          n.clusterPort = Number(cluster);
          seen.cluster = true;
        }
      },
    });
    n.process = server;
    // the client port opens once JetStream is up; the route port is logged just after it
    if (!(await waitUntilReady(server, async () => seen.client && seen.cluster, timeoutMs))) {
      await server.kill();
      throw new Error(`${n.name} did not start: ${server.tail()}`);
    }
  }

  const running = (): Node[] => nodes.filter((n) => n.process !== null && !n.process.failed);
  const urlOf = (n: Node): string => `nats://127.0.0.1:${n.clientPort}`;

  /** Waits until a running node answers JetStream API requests (a metadata leader is elected). */
  async function jetStreamAnswers(): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nc = await connect({ servers: running().map(urlOf), timeout: 2_000 }).catch(() => null);
      try {
        if (nc) {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          await jsm.getAccountInfo();
          return;
        }
      } catch {
        // no metadata leader yet
      } finally {
        await nc?.close().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`the NATS cluster's JetStream did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const first = nodes[0];
  if (!first) throw new Error('a cluster needs at least one node');
  try {
    await launch(first, size > 1 ? [PLACEHOLDER_ROUTE] : []);
    for (const n of nodes.slice(1)) await launch(n, routesTo(n));
    if (size > 1) {
      writeFileSync(first.confPath, config({ ...first, clientPort: 0, clusterPort: 0 }, clusterName, routesTo(first)));
      first.process?.signal('SIGHUP');
    }
    await jetStreamAnswers();
  } catch (err) {
    await Promise.all(nodes.map(async (n) => n.process?.kill()));
    throw err;
  }
  o.log.info({ nodes: nodes.map((n) => ({ name: n.name, url: urlOf(n) })) }, 'nats cluster started');

  let stopping: Promise<void> | undefined;
  return {
    url: nodes.map(urlOf).join(','),
    nodes: nodes.map((n) => ({
      name: n.name,
      get url() {
        return urlOf(n);
      },
      get clientPort() {
        return n.clientPort;
      },
      get clusterPort() {
        return n.clusterPort;
      },
      get running() {
        return n.process !== null && !n.process.failed;
      },
    })),
    async kill(i) {
      const n = nodes[i];
      if (!n) throw new RangeError(`no node ${i}`);
      await n.process?.kill();
    },
    async restart(i) {
      const n = nodes[i];
      if (!n) throw new RangeError(`no node ${i}`);
      await n.process?.kill();
      await launch(n, routesTo(n));
      await jetStreamAnswers();
    },
    stop() {
      stopping ??= Promise.all(nodes.map(async (n) => n.process?.stop())).then(() => undefined);
      return stopping;
    },
  };
}
