import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { RULES_FILE, prometheusTool } from '../observability/tools.ts';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const prometheusBinary = prometheusTool('prometheus');

/** A port free a moment ago: Prometheus cannot listen on port 0, so it is asked for this one (and retried on a clash). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Running {
  url: string;
  child: ChildProcess;
  output: string[];
}

/**
 * Starts Prometheus on a port found free, and waits until it answers /-/ready. Another process
 * may take the port between the check and the bind: then Prometheus exits, and this tries again
 * with another port.
 */
async function startPrometheus(binary: string, configFile: string, dataDir: string): Promise<Running> {
  let lastOutput: string[] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const output: string[] = [];
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dataDir, `tsdb-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (b: Buffer) => output.push(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString('utf8')));
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    const ready = await eventually(
      async () => {
        if (exited) return 'exited';
        const res = await fetch(`${url}/-/ready`).catch(() => null);
        return res?.status === 200 ? 'ready' : null;
      },
      `Prometheus on port ${port} to be ready`,
      SETTLE_MS,
      100,
    ).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    if (ready === 'ready') return { url, child, output };
    lastOutput = output;
  }
  throw new Error(`Prometheus did not start: ${lastOutput.join('').slice(-2000)}`);
}

async function stopPrometheus(p: Running | null): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A real Prometheus scrapes the platform (started in this process on a fresh database) with the
 * rules of deploy/prometheus: it sees the target up, the HTTP series after some requests, the
 * platform figures, and evaluates the recording rules on them.
 */
describe.skipIf(!pg || natsMissing || !prometheusBinary)('Prometheus scraping the platform', () => {
  let h: Harness;
  let prometheus: Running | null = null;
  let dir = '';

  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${prometheus?.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
    return body.data?.result ?? [];
  };

  beforeAll(async () => {
    if (!pg || !prometheusBinary) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    dir = await mkdtemp(join(tmpdir(), 'mandant-prometheus-'));
    const target = new URL(h.platform.healthUrl).host;
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES_FILE)}`,
        'scrape_configs:',
        '  - job_name: mandant',
        '    static_configs:',
        `      - targets: [${JSON.stringify(target)}]`,
        '',
      ].join('\n'),
    );
    prometheus = await startPrometheus(prometheusBinary, config, dir);
  }, 300_000);

  afterAll(async () => {
    await stopPrometheus(prometheus);
    await h?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the rules file: both groups, every rule healthy once evaluated', async () => {
    const groups = await eventually(async () => {
      const body = (await (await fetch(`${prometheus?.url}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; type: string }[] }[] };
      };
      const gs = body.data.groups;
      // evaluated at least once: "unknown" health turns "ok" (or "err" for a broken rule)
      return gs.length >= 2 && gs.every((g) => g.rules.every((r) => r.health !== 'unknown')) ? gs : null;
    }, 'the rules to be loaded and evaluated');
    expect(groups.map((g) => g.name).sort()).toEqual(['mandant.alerts', 'mandant.recording']);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    expect(rules.filter((r) => r.type === 'alerting').map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'ProjectorLagHigh',
        'DeadLettersPresent',
        'OutboxBacklog',
        'HighErrorRate',
        'UnauthorizedSpike',
        'TenantRateLimited',
      ]),
    );
  }, 300_000);

  it('scrapes the platform: up, the HTTP counters after requests, the platform figures, and the recording rules over them', async () => {
    await eventually(async () => (await query('up{job="mandant"}'))[0]?.value[1] === '1', 'the platform target to be up');

    const created = await h.call('POST', '/tenants', {
      token: OPERATOR,
      body: { name: 'Scraped', slug: `scraped-${Date.now().toString(36)}` },
    });
    expect(created.status).toBe(201);
    const admin = created.body.admin_api_key as string;
    const tenantId = created.body.tenant.id as string;
    for (let i = 0; i < 5; i += 1) expect((await h.call('GET', '/projects', { token: admin })).status).toBe(200);
    expect((await h.call('GET', '/projects', { token: 'mk_not-a-key' })).status).toBe(401);

    const tenantRequests = await eventually(async () => {
      const [r] = await query(`sum(mandant_http_requests_total{tenant="${tenantId}",route="/api/v1/projects",status="200"})`);
      return r && Number(r.value[1]) >= 5 ? Number(r.value[1]) : null;
    }, "the tenant's requests in Prometheus");
    expect(tenantRequests).toBe(5);
    await eventually(
      async () => Number((await query('sum(mandant_http_refused_total{status="401"})'))[0]?.value[1] ?? 0) >= 1,
      'the 401 in Prometheus',
    );
    await eventually(async () => (await query('mandant_ops_up'))[0]?.value[1] === '1', 'the platform figures');
    const projectors = await eventually(async () => {
      const r = await query('mandant:projector_lag_max_events:max');
      return r.length > 0 ? r : null;
    }, 'projector lag through its recording rule');
    for (const p of projectors) expect(Number(p.value[1])).toBeGreaterThanOrEqual(0);
    await eventually(async () => (await query('mandant:outbox_oldest_seconds:max')).length === 1, 'the outbox figures');
    // per projector, the tenants lagging most and one "other" series: never one per tenant
    const perTenant = await eventually(async () => {
      const r = await query('mandant:projector_tenant_lag_events:max{tenant="other"}');
      return r.length === projectors.length ? r : null;
    }, 'the per-tenant lag series');
    expect(perTenant.map((r) => r.metric.projector).sort()).toEqual(projectors.map((p) => p.metric.projector).sort());
    // a rate needs the counter to grow between two scrapes: the first requests made the series, these grow it
    for (let i = 0; i < 3; i += 1) expect((await h.call('GET', '/projects', { token: admin })).status).toBe(200);
    await eventually(async () => {
      const [r] = await query(`sum(mandant_http_requests_total{tenant="${tenantId}",route="/api/v1/projects",status="200"})`);
      return r?.value[1] === '8';
    }, 'the later requests in Prometheus');
    await eventually(async () => {
      const r = await query('mandant:http_requests:rate5m{route="/api/v1/projects",status_class="2xx"}');
      return r.length === 1 && Number(r[0]?.value[1]) > 0;
    }, 'the request rate recording rule');
    await eventually(
      async () => (await query(`mandant:tenant_http_errors:ratio_rate5m{tenant="${tenantId}"}`))[0]?.value[1] === '0',
      "the tenant's error ratio, 0",
    );
  }, 300_000);
});
