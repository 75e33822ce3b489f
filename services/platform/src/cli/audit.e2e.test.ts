import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, withTenant } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { waitForCheckpoints } from '@mandant/shared/projection';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { ownDatabase } from '@mandant/shared/testing';
import { type Harness, startHarness } from '../e2e/harness.ts';
import { VIEW_PROJECTORS } from '../views.ts';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MASTER_KEY = 'Y2xpLXRlc3QtbWFzdGVyLWtleS0wMTIzNDU2Nzg5YWI=';

describe.skipIf(!pg || natsMissing)('mandant audit and tenants provision on a running platform', () => {
  let h: Harness;
  let dir = '';
  let slug = '';
  let tenantId = '';
  let head = 0;
  let exported = '';

  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/cli/main.ts', ...args], {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: h.databaseUrl,
          MANDANT_MASTER_KEY: MASTER_KEY,
          MANDANT_DATA_DIR: h.dataDir,
          LOG_LEVEL: 'silent',
          ...env,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');
  const variant = async (name: string, edit: (lines: string[]) => string[] | string) => {
    const edited = edit(await lines(exported));
    const file = join(dir, name);
    await writeFile(file, typeof edited === 'string' ? edited : `${edited.join('\n')}\n`);
    return file;
  };

  beforeAll(async () => {
    if (!pg) return;
    dir = await mkdtemp(join(tmpdir(), 'mandant-audit-'));
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MANDANT_MASTER_KEY: MASTER_KEY } });
    slug = `audit-${randomUUID().slice(0, 6)}`;
    const provisioned = await cli(['tenants', 'provision', '--name', 'Audit Desk', '--slug', slug, '--json']);
    expect(provisioned.code, provisioned.stderr).toBe(0);
    const body = JSON.parse(provisioned.stdout) as { tenant: { id: string; slug: string }; admin_api_key: string };
    tenantId = body.tenant.id;
    const key = body.admin_api_key;
    const project = (await h.call('POST', '/projects', { token: key, body: { name: 'Inquiry' } })).body.id as string;
    for (let i = 0; i < 3; i++) {
      const doc = await h.call('POST', `/projects/${project}/documents`, {
        token: key,
        body: { title: `Memo ${i}`, content: `Memo ${i}: Acme Holdings paid Maria Gonzalez in Lisbon ${randomUUID()}.` },
      });
      expect(doc.status).toBe(202);
      await eventually(async () => {
        const d = await h.call('GET', `/documents/${doc.body.id}`, { token: key });
        return d.body.status === 'processed' && d.body.embeddings.length > 0;
      }, `document ${doc.body.id} to be processed with its embeddings`);
    }
    head = (await h.call('GET', '/events?after=0&limit=1', { token: key })).body.head as number;
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, head, SETTLE_MS)));
    // the replay below compares the relational views too, and each follows the log on its own
    // projector: a project's last activity moves when the projects' one applies a processing,
    // which it may do after the document's status already shows it
    const views = { tenantId, position: head, projectors: VIEW_PROJECTORS, what: 'read views', timeoutMs: SETTLE_MS };
    expect(await waitForCheckpoints(h.platform.runtime.sql, createLogger({ level: 'silent' }), views)).toBe(true);
    exported = join(dir, 'log.ndjson');
    const res = await cli(['audit', 'export', '--tenant', slug, '--out', exported]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/export audit-\S+ \[#+\] 100%/);
  }, 600_000);
  afterAll(async () => {
    await h?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('provisions a tenant through the POST /tenants use case: its admin key works over HTTP', async () => {
    const res = await cli(['tenants', 'provision', '--name', 'Second', '--slug', `${slug}-b`]);
    expect(res.code, res.stderr).toBe(0);
    const key = /admin API key[^:]*: (\S+)/.exec(res.stdout)?.[1] ?? '';
    expect((await h.call('GET', '/tenant', { token: key })).body.slug).toBe(`${slug}-b`);
    const again = await cli(['tenants', 'provision', '--name', 'Second', '--slug', `${slug}-b`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/slug .* is taken/);
  });

  it('exports the whole log in order, to stdout exactly as to the file, and verifies it with the head hash', async () => {
    const file = await lines(exported);
    expect(file).toHaveLength(head);
    expect(file.map((l) => (JSON.parse(l) as { tenant_seq: number }).tenant_seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const stdout = await cli(['audit', 'export', '--tenant', slug]);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(await readFile(exported, 'utf8'));
    const ok = await cli(['audit', 'verify', exported]);
    expect(ok.code, ok.stdout).toBe(0);
    const live = h.platform.runtime.store.verify(tenantId);
    expect(ok.stdout).toContain(`ok: ${head} events of tenant ${tenantId}, tenant_seq 1..${head}, head hash ${(await live).last_hash}`);
    const db = await cli(['audit', 'verify', '--tenant', slug, '--json']);
    expect(db.code).toBe(0);
    expect(JSON.parse(db.stdout)).toMatchObject({ ok: true, checked: head, head_hash: (await live).last_hash });
  });

  it('names the tenant_seq whose data was altered, a gap, a repeat, a foreign tenant and a malformed line', async () => {
    const target = Math.ceil(head / 2);
    const altered = await variant('altered.ndjson', (ls) =>
      ls.map((l, i) => {
        if (i !== target - 1) return l;
        const e = JSON.parse(l) as { data: Record<string, unknown> };
        return JSON.stringify({ ...e, data: { ...e.data, injected: true } });
      }),
    );
    const gapFile = await variant('gap.ndjson', (ls) => ls.filter((_, i) => i !== 3));
    const repeatFile = await variant('repeat.ndjson', (ls) => [...ls.slice(0, 3), ls[2] ?? '', ...ls.slice(3)]);
    const foreignFile = await variant('foreign.ndjson', (ls) => ls.map((l, i) => (i === 1 ? l.replaceAll(tenantId, randomUUID()) : l)));
    const relinkedFile = await variant('relinked.ndjson', (ls) =>
      ls.map((l, i) => (i === 4 ? l.replace(/"prev_hash":"[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`) : l)),
    );
    const cut = await variant('truncated.ndjson', (ls) => ls.join('\n').slice(0, -20));
    // one process each, side by side: a CLI start costs seconds on a busy machine
    const [a, gap, repeat, foreign, relinked, truncated] = await Promise.all(
      [altered, gapFile, repeatFile, foreignFile, relinkedFile, cut].map((f) => cli(['audit', 'verify', f])),
    );
    expect(a?.code).toBe(1);
    expect(a?.stdout).toContain(`BROKEN (content hash): tenant_seq ${target} (line ${target})`);
    expect(gap?.code).toBe(1);
    expect(gap?.stdout).toContain('BROKEN (gap): tenant_seq 4: missing');
    expect(repeat?.stdout).toContain('BROKEN (repeat): tenant_seq 3 (line 4): repeated');
    expect(foreign?.stdout).toContain('BROKEN (foreign tenant): tenant_seq 2 (line 2)');
    expect(relinked?.stdout).toContain('BROKEN (chain link): tenant_seq 5 (line 5)');
    expect(truncated?.code).toBe(1);
    expect(truncated?.stdout).toContain(`BROKEN (malformed): line ${head}: not JSON`);
  });

  it('names the altered tenant_seq when an event is changed in the database as its owner', async () => {
    const other = `${slug}-x`;
    const res = await cli(['tenants', 'provision', '--name', 'Tampered', '--slug', other, '--json']);
    const otherId = (JSON.parse(res.stdout) as { tenant: { id: string } }).tenant.id;
    const owner = createSql(h.databaseUrl, { max: 1 });
    try {
      await withTenant(
        owner,
        otherId,
        (tx) => tx`update events set data = data || '{"name":"Evil"}'::jsonb where tenant_id = ${otherId} and tenant_seq = 2`,
      );
    } finally {
      await owner.end();
    }
    const verify = await cli(['audit', 'verify', '--tenant', other]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('BROKEN (content hash): tenant_seq 2');
  });

  it('replays the tenant into a fresh database with every store equal, and refuses a used or live target', async () => {
    const target = await ownDatabase(pg?.ownerUrl ?? '', 'replay');
    try {
      const res = await cli(['audit', 'replay', '--tenant', slug, '--into', target.url]);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stderr).toMatch(/replay audit-\S+ \[#+\] 100%/);
      for (const store of [
        'log (head hash)',
        'documents_view',
        'tenants_view',
        'projects_view',
        'vectors local-hashing-v1-384/384',
        'text',
        'graph',
        'blobs',
      ]) {
        expect(res.stdout).toMatch(new RegExp(`^${store.replace(/[()/]/g, '\\$&')}.* yes$`, 'm'));
      }
      expect(res.stdout).not.toMatch(/ NO$/m);
      expect(res.stdout).toContain('every store equals the live one');
      const again = await cli(['audit', 'replay', '--tenant', slug, '--into', target.url]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already holds events of this tenant/);
    } finally {
      await target.drop();
    }
    const live = await cli(['audit', 'replay', '--tenant', slug, '--into', h.databaseUrl]);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/the target is the live database/);
  });

  it('answers bad arguments with exit 2, a missing tenant, file or database with exit 1 naming it', async () => {
    const bad = [
      ['audit', 'verify'],
      ['audit', 'export'],
      ['audit', 'replay', '--tenant', slug],
      ['tenants', 'provision', '--name', 'x'],
      ['audit', 'verify', exported, '--tenant', slug],
      ['audit', 'export', '--tenant', slug, '--bogus'],
      ['audit', 'replay', '--tenant', slug, '--into', 'not a url'],
    ];
    const codes = await Promise.all(bad.map(async (args) => `${args.join(' ')} → ${(await cli(args)).code}`));
    expect(codes).toEqual(bad.map((args) => `${args.join(' ')} → 2`));
    const [missing, nofile, down] = await Promise.all([
      cli(['audit', 'export', '--tenant', 'no-such-tenant']),
      cli(['audit', 'verify', join(dir, 'nope.ndjson')]),
      cli(['audit', 'verify', '--tenant', slug], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant with slug "no-such-tenant"/);
    expect(nofile.code).toBe(1);
    expect(nofile.stderr).toMatch(/cannot read .*nope\.ndjson/);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the database/);
  });
});
