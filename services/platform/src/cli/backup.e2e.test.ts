import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { type RunningNatsServer, findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, ownDatabase, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from '../e2e/harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MASTER_KEY = 'YmFja3VwLWRyaWxsLW1hc3Rlci1rZXktMDEyMzQ1Njc=';

/**
 * The backup and restore drill on small data: a tenant, a project, documents processed, a backup,
 * one document erased after it, then everything lost (a new database, the blobs gone), restored,
 * rebuilt and verified. Prints the time per 100,000 events.
 */
describe.skipIf(!pg || natsMissing)('backup and restore drill', () => {
  let h: Harness;
  let restored: { url: string; drop(): Promise<void> } | null = null;
  let dir = '';
  let nats: RunningNatsServer | null = null;

  const cli = (database: string, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: database, MANDANT_MASTER_KEY: MASTER_KEY, MANDANT_DATA_DIR: h.dataDir, LOG_LEVEL: 'silent' },
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
    dir = await mkdtemp(join(tmpdir(), 'mandant-drill-'));
  }, 600_000);
  afterAll(async () => {
    await h?.stop();
    await nats?.stop();
    await restored?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('restores a backup, rebuilds every store clean, and keeps a document erased after the backup erased', async () => {
    const slug = `drill-${randomUUID().slice(0, 6)}`;
    const t = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Drill', slug } });
    const tenantId = t.body.tenant.id as string;
    const key = t.body.admin_api_key as string;
    const project = (await h.call('POST', '/projects', { token: key, body: { name: 'Inquiry' } })).body.id as string;
    const words = ['harbourmaster', 'quarrystone', 'lighthousekeeper'];
    const docs: string[] = [];
    for (const word of words) {
      const doc = await h.call('POST', `/projects/${project}/documents`, {
        token: key,
        body: { content: `Memo about the ${word}: Acme Holdings paid Maria Gonzalez ${randomUUID()}.` },
      });
      docs.push(doc.body.id as string);
      await eventually(async () => {
        const d = await h.call('GET', `/documents/${doc.body.id}`, { token: key });
        return d.body.status === 'processed' && d.body.embeddings.length > 0;
      }, `document ${doc.body.id} to be processed with its embeddings`);
    }
    const head = (await h.call('GET', '/events?after=0&limit=1', { token: key })).body.head as number;
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, head, SETTLE_MS)));

    // 1. the backup
    const backupDir = join(dir, 'backup');
    const taken = await cli(h.databaseUrl, 'backup', 'create', '--to', backupDir, '--json');
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as { events: number; blobs: number };
    expect(manifest.events).toBeGreaterThanOrEqual(head);
    expect(manifest.blobs).toBeGreaterThan(0);

    // 2. a document erased after the backup, recorded in the erasure journal kept apart from it
    const erased = docs[0] ?? '';
    expect((await h.call('DELETE', `/documents/${erased}`, { token: key })).status).toBe(204);
    const live = createSql(h.databaseUrl, { max: 1 });
    try {
      await eventually(async () => {
        const [row] = await live<{ n: number }[]>`
          select count(*)::int as n from data_key_tombstones where tenant_id = ${tenantId} and scope = ${`document:${erased}`}`;
        return row?.n === 1;
      }, 'the erased document key to be destroyed');
    } finally {
      await live.end();
    }
    const journal = join(dir, 'erasures', 'journal.ndjson');
    expect((await cli(h.databaseUrl, 'keys', 'erasures', '--out', journal)).code).toBe(0);
    expect(await readFile(journal, 'utf8')).toContain(`document:${erased}`);

    // 3. the disaster: the blobs are gone, and the platform moves to a new, empty database and a
    // new NATS server (no stream, no consumer of the old one)
    await rm(join(h.dataDir, 'blobs'), { recursive: true, force: true });
    const binary = findNatsServer();
    if (!binary) throw new Error('no nats-server');
    nats = await startNatsServer({ binary, storeDir: join(dir, 'nats-after'), log: createLogger({ level: 'silent' }) });
    restored = await ownDatabase(pg?.ownerUrl ?? '', 'drill_restore');
    const started = Date.now();
    const back = await cli(restored.url, 'backup', 'restore', '--from', backupDir, '--erasures', journal, '--json');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ erasures_reapplied: 1, blobs: manifest.blobs });
    // a restore never goes over a database that has a log
    const again = await cli(restored.url, 'backup', 'restore', '--from', backupDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/not empty/);
    const restoredMs = Date.now() - started;

    // 4. the platform on the restored database; every read store rebuilt from the log
    await h.restart({ DATABASE_URL: restored.url, NATS_URL: nats.url });
    const rebuildStarted = Date.now();
    const rebuilt = await cli(restored.url, 'projections', 'rebuild', 'all', '--tenant', slug);
    expect(rebuilt.code).toBe(0);
    const verified = await cli(restored.url, 'projections', 'verify', '--tenant', slug);
    expect(verified.stdout).not.toMatch(/DRIFT/);
    expect(verified.code).toBe(0);
    const chain = await cli(restored.url, 'audit', 'verify', '--tenant', slug);
    expect(chain.code).toBe(0);
    const rebuildMs = Date.now() - rebuildStarted;

    // 5. the kept documents are readable and searchable; the erased one's key stays destroyed
    for (const [i, doc] of docs.entries()) {
      if (doc === erased) continue;
      expect((await h.call('GET', `/documents/${doc}/content`, { token: key })).status).toBe(200);
      await eventually(async () => {
        const found = await h.call('POST', `/projects/${project}/search`, { token: key, body: { query: words[i] } });
        return found.status === 200 && (found.body.hits as { document_id: string }[]).some((hit) => hit.document_id === doc);
      }, `document ${doc} to be found again`);
    }
    expect((await h.call('GET', `/documents/${erased}/content`, { token: key })).status).not.toBe(200);
    const owner = createSql(restored.url, { max: 1 });
    try {
      const keys = await owner<{ n: number }[]>`
        select count(*)::int as n from data_keys where tenant_id = ${tenantId} and scope = ${`document:${erased}`}`;
      expect(keys[0]?.n).toBe(0);
    } finally {
      await owner.end();
    }

    // Time per 100,000 events: the rebuild is what grows with the log (each projector replays
    // every event, one after the other); its rates come from the progress bars. On data this small
    // they include each projector's start-up, so the figure is an upper bound. The restore itself
    // grows with the dump's size, not the event count, and is reported as measured.
    const restore = JSON.parse(back.stdout) as { ms: number };
    const rates = [...rebuilt.stderr.matchAll(/^(\S+) \S+ \[#+\] 100% (\d+)\/\d+ events (\d+) ev\/s$/gm)].map((m) => ({
      projector: m[1] ?? '',
      rate: Math.max(1, Number(m[3])),
    }));
    expect(rates.length).toBeGreaterThan(0);
    const per100k = rates.reduce((sum, r) => sum + 100_000 / r.rate, 0);
    process.stdout.write(
      `backup drill: ${manifest.events} events, ${manifest.blobs} blobs; restore ${restore.ms} ms (${restoredMs} ms with the CLI's start-up), ` +
        `rebuild + verify ${rebuildMs} ms; rebuild rates ${rates.map((r) => `${r.projector} ${r.rate} ev/s`).join(', ')}; ` +
        `rebuild time per 100,000 events at most ${per100k.toFixed(0)} s\n`,
    );
  }, 900_000);
});
