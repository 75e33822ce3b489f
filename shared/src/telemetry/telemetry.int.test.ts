import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a tiny HTTP round trip in a child process loaded the way the services are. */
function run(env: Record<string, string>): Promise<string> {
  const script = `
    import http from 'node:http';
    const server = http.createServer((_q, r) => r.end('ok')).listen(0, async () => {
      const { port } = server.address();
      await fetch('http://127.0.0.1:' + port + '/traced');
      server.close();
      setTimeout(() => process.exit(0), 1500);
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './shared/src/telemetry/register.ts', '--input-type=module', '-e', script], {
      cwd: root, env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

describe('telemetry', () => {
  it('traces HTTP with the auto-instrumentations when an exporter is configured', async () => {
    const out = await run({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'mandant-test' });
    expect(out).toMatch(/traceId/);
    expect(out).toMatch(/\/traced/);
  }, 60_000);

  it('stays off without an exporter', async () => {
    const env: Record<string, string> = { OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
    const out = await run(env);
    expect(out).not.toMatch(/traceId/);
  }, 60_000);
});
