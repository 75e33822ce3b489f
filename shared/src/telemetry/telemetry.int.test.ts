import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTLE_MS } from '../testing/eventually.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs a tiny HTTP round trip in a child process loaded the way the services are, and resolves
 * with its output once `enough` holds of it (the child is then killed) or the child exits, which
 * it does `exitAfterMs` after the round trip.
 */
function run(env: Record<string, string>, enough: (out: string) => boolean, exitAfterMs: number): Promise<string> {
  const script = `
    import http from 'node:http';
    const server = http.createServer((_q, r) => r.end('ok')).listen(0, async () => {
      const { port } = server.address();
      await fetch('http://127.0.0.1:' + port + '/traced');
      server.close();
      setTimeout(() => process.exit(0), ${exitAfterMs});
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './shared/src/telemetry/register.ts', '--input-type=module', '-e', script],
      {
        cwd: root,
        env: { ...process.env, ...env },
      },
    );
    let out = '';
    const heard = (d: Buffer): void => {
      out += d.toString();
      if (enough(out)) child.kill('SIGKILL');
    };
    child.stdout.on('data', heard);
    child.stderr.on('data', heard);
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

describe('telemetry', () => {
  it(
    'traces HTTP with the auto-instrumentations when an exporter is configured',
    async () => {
      // the spans are printed when the exporter gets to them: wait for them, up to a deadline
      const traced = (out: string): boolean => /traceId/.test(out) && /\/traced/.test(out);
      const out = await run({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'mandant-test' }, traced, SETTLE_MS);
      expect(out).toMatch(/traceId/);
      expect(out).toMatch(/\/traced/);
    },
    2 * SETTLE_MS,
  );

  it('stays off without an exporter', async () => {
    const env: Record<string, string> = { OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
    // an absence: the child lives 1.5 s past the round trip, as long as the traced run needs on an idle machine
    const out = await run(env, () => false, 1_500);
    expect(out).not.toMatch(/traceId/);
  });
});
