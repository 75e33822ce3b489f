import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, settleTenant, startHarness } from '../e2e/harness.ts';
import { eventually } from '@mandant/shared/testing';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MASTER_KEY = 'Y2xpLXRlc3QtbWFzdGVyLWtleS0wMTIzNDU2Nzg5YWI=';

describe.skipIf(!pg || natsMissing)('the mandant CLI on a running platform', () => {
  let h: Harness;
  let slug = '';
  let tenantId = '';

  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/cli/main.ts', ...args], {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: h.databaseUrl,
          MANDANT_MASTER_KEY: MASTER_KEY,
          MANDANT_DATA_DIR: h.dataDir,
          LOG_LEVEL: 'silent',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MANDANT_MASTER_KEY: MASTER_KEY } });
    slug = `cli-${randomUUID().slice(0, 6)}`;
    const t = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'CLI', slug } });
    tenantId = t.body.tenant.id;
    const key = t.body.admin_api_key as string;
    const project = (await h.call('POST', '/projects', { token: key, body: { name: 'Inquiry' } })).body.id;
    for (let i = 0; i < 3; i++) {
      const doc = await h.call('POST', `/projects/${project}/documents`, {
        token: key,
        body: { content: `Memo ${i}: Acme Holdings paid Maria Gonzalez ${randomUUID()}.` },
      });
      await eventually(async () => {
        const d = await h.call('GET', `/documents/${doc.body.id}`, { token: key });
        return d.body.status === 'processed' && d.body.embeddings.length > 0;
      }, `document ${doc.body.id} to be processed with its embeddings`);
    }
    // every projector, the relational views' too, at the head: the status below says lag 0 of each
    await settleTenant(h, tenantId, key);
  }, 600_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('shows every projector of the tenant caught up', async () => {
    const res = await cli('projections', 'status', '--tenant', slug, '--json');
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout) as { projector: string; lag: number }[];
    expect(rows.map((r) => r.projector)).toEqual(
      expect.arrayContaining(['vectors@v1', 'text@v1', 'graph@v1', 'blobs@v1', 'document-views@v1']),
    );
    expect(rows.every((r) => r.lag === 0)).toBe(true);
  });

  it('rebuilds every read model from the log with a progress bar and ends consistent', async () => {
    const before = await h.platform.stores.text.snapshot(tenantId);
    const res = await cli('projections', 'rebuild', 'all', '--tenant', slug);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/vectors cli-\S+ \[#+\] 100%/);
    expect(await h.platform.stores.text.snapshot(tenantId)).toEqual(before);
    expect((await cli('projections', 'verify', '--tenant', slug)).code).toBe(0);
  });

  it('reports drift per store and repairs it', async () => {
    const [entry] = await h.platform.stores.text.snapshot(tenantId);
    if (!entry) throw new Error('no text entries');
    await h.platform.stores.text.deleteDocument(tenantId, entry.document_id);
    const found = await cli('projections', 'verify', '--tenant', slug);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/text\s+DRIFT missing=\d+/);
    const repaired = await cli('projections', 'verify', '--tenant', slug, '--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/text\s+ok \(rebuilt\)/);
  });

  it('refuses bad arguments and unknown tenants with a clear message and a non-zero exit', async () => {
    const usage = await cli('projections', 'explode');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown command "projections explode"/);
    const missing = await cli('projections', 'status', '--tenant', 'no-such-tenant');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant with slug "no-such-tenant"/);
    const unknown = await cli('projections', 'rebuild', 'nonsense', '--tenant', slug);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown projector "nonsense"/);
  });
});
