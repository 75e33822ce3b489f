import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../log.ts';
import { serveRpc } from '../rpc/rpc.ts';
import { drainHttp, stopOnSignals, trackInFlight } from './shutdown.ts';

/**
 * A process that drains the way the services do, for shutdown.int.test.ts: an HTTP server and a
 * NATS message pattern whose requests are held until SIGUSR2 (so the test decides when the work
 * in flight ends), stopped by SIGTERM through `stopOnSignals`. Argv: NATS URL, pattern.
 */
const [natsUrl = 'nats://127.0.0.1:4222', pattern = 'drain.hold'] = process.argv.slice(2);
const log = createLogger({ level: 'info', name: 'drain-fixture' });
const released = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const http = trackInFlight(
  createServer((_req, res) => {
    say('IN_FLIGHT http');
    void released.then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
  }),
);
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const rpc = await serveRpc({
  service: `drain-${pattern}`,
  transport: { kind: 'nats', servers: [natsUrl] },
  log,
  handlers: {
    [pattern]: async () => {
      say('IN_FLIGHT rpc');
      await released;
      return { done: true };
    },
  },
});
stopOnSignals(log, async () => {
  await Promise.all([drainHttp(http), rpc.close()]);
});
say(`READY ${(http.address() as AddressInfo).port}`);
