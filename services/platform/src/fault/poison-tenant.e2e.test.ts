import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type EventMeta, streams } from '@mandant/contracts';
import { uuidv7 } from '@mandant/shared/ids';
import { findNatsServer } from '@mandant/shared/runtime';
import { sealJson } from '@mandant/shared/stores/crypto';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, OPERATOR, startHarness } from '../e2e/harness.ts';
import { SETTLE_MS, until } from './helpers.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MASTER_KEY = 'cG9pc29uLXRlc3QtbWFzdGVyLWtleS0wMTIzNDU2Nzg=';
/** Found in no error text, status or metric: the dead letter keeps no content. */
const SECRET = 'Ms Nightingale';
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 4 };

interface DeadLetter {
  projector: string;
  tenant_seq: number;
  event_id: string;
  type: string;
  error: string;
  attempts: number;
  created_at: string;
  last_failed_at: string;
  retry_requested_at: string | null;
}
interface Status {
  head: number;
  projectors: { name: string; position: number; lag: number; dead_letters: number }[];
  dead_letters: DeadLetter[];
}

// Issue 10, item 2: one value Postgres cannot store (U+0000) in a sealed title or name used to
// stall the tenant's views for good, and every later write of the tenant waited for them and
// answered 404. The events are appended here around the contracts (the edge refuses them now).
describe.skipIf(!pg || natsMissing)('fault: a poisoned event on the running platform', () => {
  let h: Harness;
  let poisoned = { id: '', slug: '', key: '' };
  let healthy = { id: '', slug: '', key: '' };
  const poison: { seq: number; id: string; type: string; projector: string }[] = [];

  const tenant = async (name: string) => {
    const slug = `${name}-${randomUUID().slice(0, 6)}`;
    const t = await h.call('POST', '/tenants', { token: OPERATOR, body: { name, slug } });
    expect(t.status).toBe(201);
    return { id: t.body.tenant.id as string, slug, key: t.body.admin_api_key as string };
  };

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MANDANT_MASTER_KEY: MASTER_KEY } });
    poisoned = await tenant('poisoned');
    healthy = await tenant('healthy');
    const project = await h.call('POST', '/projects', { token: poisoned.key, body: { name: 'Before' } });
    expect(project.status).toBe(201);
    const { store } = h.platform.runtime;
    const { keyring } = h.platform.stores;
    const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-poison-tenant', causation_id: null, traceparent: null };
    // each projection that handles the event's type and cannot apply it dead-letters it
    const append = async (stream: string, type: string, data: Record<string, unknown>, projectors: string[]) => {
      const res = await store.append(
        poisoned.id,
        stream,
        0,
        [{ id: uuidv7(), type, project_id: null, occurred_at: new Date().toISOString(), data }],
        meta,
      );
      const [e] = res.events;
      if (e) for (const projector of projectors) poison.push({ seq: e.tenant_seq, id: e.id, type, projector });
    };
    // a conversation title and a user name with a NUL: the views' text columns refuse them (22021)
    const conversation = uuidv7();
    await append(
      streams.conversation(conversation),
      'conversation.started.v1',
      { project_id: project.body.id, sealed: await sealJson(keyring, poisoned.id, conversation, { title: `${SECRET}\u0000` }) },
      ['conversation-views@v1'],
    );
    const user = uuidv7();
    await append(
      streams.user(user),
      'user.registered.v2',
      {
        sealed: await sealJson(keyring, poisoned.id, user, { email: 'eve@example.org', name: `${SECRET}\u0000` }),
        email_hash: 'a'.repeat(64),
      },
      ['membership-views@v1'],
    );
    // an event whose envelope does not parse at all (data is no object): poison for the project
    // views too, which take a conversation's start as activity in its project
    await append(streams.conversation(uuidv7()), 'conversation.started.v1', [SECRET] as unknown as Record<string, unknown>, [
      'conversation-views@v1',
      'project-views@v2',
    ]);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it(
    'dead-letters each poisoned event within bounded time and shows it in /projections/status, with a safe error',
    { timeout: 3 * SETTLE_MS },
    async () => {
      let status: Status | undefined;
      await until(
        async () => {
          status = (await h.call('GET', '/projections/status', { token: poisoned.key })).body as Status;
          return poison.every((p) => status?.dead_letters.some((d) => d.projector === p.projector && d.tenant_seq === p.seq));
        },
        SETTLE_MS,
        'the poisoned events to be dead-lettered',
      );
      if (!status) throw new Error('no status');
      for (const p of poison) {
        const dead = status.dead_letters.find((d) => d.projector === p.projector && d.tenant_seq === p.seq);
        expect(dead).toMatchObject({ event_id: p.id, type: p.type, attempts: 5 });
        expect(dead?.error.length).toBeGreaterThan(0);
        expect(Date.parse(dead?.created_at ?? '')).not.toBeNaN();
      }
      // no projection that applied the rest is left behind: each reaches the head past its dead letters
      await until(
        async () => {
          const s = (await h.call('GET', '/projections/status', { token: poisoned.key })).body as Status;
          return s.projectors.every((p) => p.lag === 0);
        },
        SETTLE_MS,
        'every projector of the poisoned tenant to reach its head',
      );
      expect(JSON.stringify(status)).not.toContain(SECRET);
    },
  );

  it('counts the dead letters in /metrics per projector and per tenant', async () => {
    const res = await h.call('GET', '/metrics', { token: OPERATOR });
    expect(res.status).toBe(200);
    const text = String(res.body);
    expect(text).toContain('mandant_projector_dead_letters{projector="conversation-views@v1"} 2');
    expect(text).toContain('mandant_projector_dead_letters{projector="membership-views@v1"} 1');
    expect(text).toContain('mandant_projector_dead_letters{projector="project-views@v2"} 1');
    expect(text).toContain(`mandant_tenant_dead_letters{tenant="${poisoned.id}"} 4`);
    expect(text).toContain(`mandant_tenant_dead_letters{tenant="${healthy.id}"} 0`);
    expect(text).not.toContain(SECRET);
  });

  it("answers the tenant's later ordinary writes with 2xx, at once, and reads them back", async () => {
    const started = Date.now();
    const project = await h.call('POST', '/projects', { token: poisoned.key, body: { name: 'After the poison' } });
    expect(project.status).toBe(201);
    const conversation = await h.call('POST', `/projects/${project.body.id}/chat/conversations`, {
      token: poisoned.key,
      body: { title: 'Still moving' },
    });
    expect(conversation.status).toBe(201);
    const user = await h.call('POST', '/users', {
      token: poisoned.key,
      body: { email: `ann-${randomUUID().slice(0, 6)}@example.org`, name: 'Ann' },
    });
    expect(user.status).toBe(201);
    // read-your-writes: the views waited for reached each write's position within the views' wait
    expect(Date.now() - started).toBeLessThan(10_000);
    const projects = await h.call('GET', '/projects', { token: poisoned.key });
    expect(projects.body.projects.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Before', 'After the poison']));
    const read = await h.call('GET', `/chat/conversations/${conversation.body.id}`, { token: poisoned.key });
    expect(read.status).toBe(200);
    expect(read.body.title).toBe('Still moving');
    const users = await h.call('GET', '/users', { token: poisoned.key });
    expect(users.body.users.map((u: { name: string }) => u.name)).toContain('Ann');
  });

  it('leaves the other tenant untouched', async () => {
    const project = await h.call('POST', '/projects', { token: healthy.key, body: { name: 'Elsewhere' } });
    expect(project.status).toBe(201);
    const status = (await h.call('GET', '/projections/status', { token: healthy.key })).body as Status;
    expect(status.dead_letters).toEqual([]);
    expect(status.projectors.every((p) => p.dead_letters === 0)).toBe(true);
  });

  it('retries the dead letters from the CLI: one that fails again stays, with its attempts incremented', async () => {
    const res = await cli('projections', 'retry', 'conversation-views', '--tenant', poisoned.slug);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/conversation-views@v1\s+seq \d+ failed again/);
    const listed = await cli('projections', 'status', '--tenant', poisoned.slug, '--json');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { projector: string; dead_letters: number; dead_lettered: DeadLetter[] }[];
    const conversations = rows.find((r) => r.projector === 'conversation-views@v1');
    expect(conversations?.dead_lettered.map((d) => d.attempts)).toEqual([6, 6]);
    expect(rows.find((r) => r.projector === 'membership-views@v1')?.dead_lettered.map((d) => d.attempts)).toEqual([5]);
    expect(listed.stdout).not.toContain(SECRET);
  });

  it(
    'retries over the API for a tenant admin: each projector carries the request out, and what fails again stays',
    { timeout: 2 * SETTLE_MS },
    async () => {
      const auditor = await h.call('POST', '/api-keys', { token: poisoned.key, body: { name: 'Auditor', role: 'auditor' } });
      expect(auditor.status).toBe(201);
      expect((await h.call('POST', '/projections/retry', { token: auditor.body.secret as string })).status).toBe(403);
      const asked = await h.call('POST', '/projections/retry', { token: poisoned.key });
      expect(asked.status).toBe(202);
      expect(asked.body).toEqual({ requested: 4 });
      await until(
        async () => {
          const s = (await h.call('GET', '/projections/status', { token: poisoned.key })).body as Status;
          return s.dead_letters.length === 4 && s.dead_letters.every((d) => d.retry_requested_at === null);
        },
        SETTLE_MS,
        'the requested retries to be carried out',
      );
      const s = (await h.call('GET', '/projections/status', { token: poisoned.key })).body as Status;
      expect(s.dead_letters.map((d) => [d.projector, d.attempts])).toEqual([
        ['conversation-views@v1', 7],
        ['conversation-views@v1', 7],
        ['membership-views@v1', 6],
        ['project-views@v2', 6],
      ]);
      const other = await h.call('POST', '/projections/retry', { token: healthy.key });
      expect(other.body).toEqual({ requested: 0 });
    },
  );

  it(
    'property: poison at random positions among good conversations of several tenants: each good one readable, each poison dead-lettered once, nothing else',
    { timeout: 600_000 },
    async () => {
      type Kind = 'good' | 'nul' | 'unparsable';
      const kind = fc.oneof(
        { arbitrary: fc.constant<Kind>('good'), weight: 3 },
        { arbitrary: fc.constantFrom<Kind>('nul', 'unparsable'), weight: 1 },
      );
      const logs = fc.array(fc.array(kind, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 3 });
      const { store } = h.platform.runtime;
      const { keyring } = h.platform.stores;
      const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-poison-property', causation_id: null, traceparent: null };
      await fc.assert(
        fc.asyncProperty(logs, async (tenantLogs) => {
          const tenants = await Promise.all(
            tenantLogs.map(async (kinds, i) => {
              const t = await tenant(`prop-${i}`);
              const project = (await h.call('POST', '/projects', { token: t.key, body: { name: 'Property' } })).body.id as string;
              const written: { kind: Kind; seq: number; conversation: string }[] = [];
              for (const k of kinds) {
                const conversation = uuidv7();
                const data =
                  k === 'unparsable'
                    ? ([] as unknown as Record<string, unknown>)
                    : {
                        project_id: project,
                        sealed: await sealJson(keyring, t.id, conversation, { title: k === 'nul' ? `t\u0000${i}` : `title ${i}` }),
                      };
                const res = await store.append(
                  t.id,
                  streams.conversation(conversation),
                  0,
                  [{ id: uuidv7(), type: 'conversation.started.v1', project_id: project, occurred_at: new Date().toISOString(), data }],
                  meta,
                );
                written.push({ kind: k, seq: res.position, conversation });
              }
              return { ...t, written };
            }),
          );
          for (const t of tenants) {
            let status: Status | undefined;
            await until(
              async () => {
                status = (await h.call('GET', '/projections/status', { token: t.key })).body as Status;
                return status.projectors.every((p) => p.lag === 0);
              },
              SETTLE_MS,
              'every projector of the tenant to reach its head',
            );
            // a NUL in the title is poison for the conversation views only; an event that does not
            // parse is poison for every projection of its type, the project views' activity included
            const poisoned = t.written.filter((w) => w.kind !== 'good').map((w) => w.seq);
            const unparsable = t.written.filter((w) => w.kind === 'unparsable').map((w) => w.seq);
            expect(status?.dead_letters.map((d) => [d.projector, d.tenant_seq])).toEqual([
              ...poisoned.map((seq) => ['conversation-views@v1', seq]),
              ...unparsable.map((seq) => ['project-views@v2', seq]),
            ]);
            for (const w of t.written.filter((x) => x.kind === 'good')) {
              const read = await h.call('GET', `/chat/conversations/${w.conversation}`, { token: t.key });
              expect(read.status).toBe(200);
              expect(read.body.title).toBe(`title ${tenants.indexOf(t)}`);
            }
          }
        }),
        runs,
      );
    },
  );

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
});
