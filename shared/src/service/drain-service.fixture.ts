import { runServiceProcess } from './main.ts';

/**
 * A service process built by `runServiceProcess`, for shutdown.int.test.ts: one message pattern
 * whose requests are held until SIGUSR2, so the test sees the drain with a request in flight.
 * Argv: service name, pattern.
 */
const [service = 'drain', pattern = 'drain.hold'] = process.argv.slice(2);
const released = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));

await runServiceProcess(
  service,
  () => ({
    name: service,
    handlers: {
      [pattern]: async () => {
        process.stdout.write('IN_FLIGHT rpc\n');
        await released;
        return { done: true };
      },
    },
    projections: [],
  }),
  { views: [] },
);
