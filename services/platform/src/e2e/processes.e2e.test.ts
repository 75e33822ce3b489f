import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { type RunningNatsServer, findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { ownDatabase } from '@mandant/shared/testing';
import { type ServiceReplica, startServiceReplica } from '../stack/service-process.ts';
import { SERVICES } from '../stack/stack.ts';

const pg = postgresUrls();
const natsBinary = findNatsServer();
const natsMissing = backendMissing('nats', natsBinary ? null : 'no nats-server binary to start a private server');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const OPERATOR = 'process-test-operator-token-0123456789';

// Each service as its own process, as in a cluster: they meet only through Postgres and NATS.
describe.skipIf(!pg || natsMissing)('services as separate processes', () => {
  const children: ServiceReplica[] = [];
  let nats: RunningNatsServer | undefined;
  let dir = '';
  let db: { url: string; drop(): Promise<void> } | undefined;
  let api = '';

  beforeAll(async () => {
    if (!pg || !natsBinary) return;
    dir = await mkdtemp(join(tmpdir(), 'mandant-procs-'));
    db = await ownDatabase(pg.ownerUrl, 'procs');
    nats = await startNatsServer({ binary: natsBinary, storeDir: dir, log: createLogger({ level: 'silent' }) });
    // every process binds its ports itself (0) and says where in its log: nothing is guessed free
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      MANDANT_OPERATOR_TOKEN: OPERATOR,
      MANDANT_MASTER_KEY: 'bWFuZGFudC1wcm9jZXNzLXRlc3QtbWFzdGVyLWtleSE=',
      MANDANT_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      HEALTH_PORT: '0',
      PORT: '0',
      HOST: '127.0.0.1',
    };
    // the first process migrates the database; the others start once it is ready
    const [first, ...rest] = SERVICES;
    const start = (service: string) =>
      startServiceReplica({ root, service, replica: 0, env, logFile: join(dir, `${service}.log`), startTimeoutMs: 240_000 });
    if (first) children.push(await start(first));
    children.push(...(await Promise.all(rest.map(start))));
    api = children.find((c) => c.service === 'gateway')?.apiUrl ?? '';
  }, 300_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await nats?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a tenant, a project and its listing through gateway, services and projectors in separate processes', async () => {
    const post = (path: string, token: string, body: unknown) =>
      fetch(`${api}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const tenant = await post('/tenants', OPERATOR, { name: 'Split', slug: `split-${Date.now().toString(36)}` });
    expect(tenant.status).toBe(201);
    const { admin_api_key: key } = (await tenant.json()) as { admin_api_key: string };
    const project = await post('/projects', key, { name: 'Across processes' });
    expect(project.status).toBe(201);
    const listed = (await (await fetch(`${api}/projects`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      projects: { name: string }[];
    };
    expect(listed.projects.map((p) => p.name)).toEqual(['Across processes']);

    // a document crosses gateway → documents → ingestion → projectors, each in its own process
    const projectId = ((await project.json()) as { id: string }).id;
    const upload = await post(`/projects/${projectId}/documents`, key, {
      title: 'Split memo',
      content: 'Acme Holdings paid Maria Gonzalez in Panama.',
    });
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: string };
    const get = async (path: string) =>
      (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<any>;
    await eventually(
      async () => {
        const doc = await get(`/documents/${id}`);
        const status = await get('/projections/status');
        const stores = status.projectors.filter((p: { name: string }) => /^(vectors|text|graph|blobs)@/.test(p.name));
        return (
          doc.status === 'processed' &&
          doc.embeddings.length > 0 &&
          stores.length === 4 &&
          stores.every((p: { lag: number }) => p.lag === 0)
        );
      },
      'the document processed and every store projector caught up',
      SETTLE_MS,
      200,
    );

    // search, entities and chat answer from their own processes too
    const found = await post(`/projects/${projectId}/search`, key, { query: 'Acme Holdings' });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { hits: { document_id: string }[] }).hits.map((h) => h.document_id)).toContain(id);
    const entities = await get(`/projects/${projectId}/entities`);
    expect(entities.entities.length).toBeGreaterThan(0);
    const conversation = await post(`/projects/${projectId}/chat/conversations`, key, { title: 'Who paid?' });
    expect(conversation.status).toBe(201);
    const conversationId = ((await conversation.json()) as { id: string }).id;
    const answer = await post(`/chat/conversations/${conversationId}/messages`, key, { content: 'Who did Acme Holdings pay?' });
    expect(answer.status).toBe(201);
    const body = (await answer.json()) as { citations?: { document_id: string }[] };
    expect(body.citations?.map((c) => c.document_id)).toContain(id);
  });
});
