import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentKind, type EventEnvelope, type EventMeta, type Settings, documentKeys, streams } from '@mandant/contracts';
import { documentDecider } from '@mandant/documents';
import { projectDecider } from '@mandant/project';
import { projectViews } from '@mandant/project';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { encodeEvent, releaseOutbox } from '@mandant/shared/outbox';
import { type Projector, startProjector } from '@mandant/shared/projection';
import { runCommand, systemClock } from '@mandant/shared/service';
import { createEncryptingBlobStore } from '@mandant/shared/stores/blobs';
import { createLocalBlobStore } from '@mandant/shared/stores/blobs';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { type Keyring, createKeyring, documentScope } from '@mandant/shared/stores/crypto';
import { createMemoryKeyStore } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import type { EventTransport } from '@mandant/shared/transport';
import { createInProcessTransport } from '@mandant/shared/transport';
import { tenantDecider } from '@mandant/tenant';
import { tenantViews } from '@mandant/tenant';
import { sniff } from '../extract/sniff.ts';
import { documentViews } from '@mandant/documents';
import { onlyTenants } from '@mandant/shared/testing';
import { SETTLE_MS } from '@mandant/shared/testing';

/**
 * Test-only: the platform around the ingestion worker on a real Postgres: event store, an
 * in-process transport fed from the log, the project, tenant and (stand-in) document views, and
 * sealed blobs in a temporary directory. `tenants` lists the tenants this suite owns: only their
 * events are published, the stand-in document views project only them, and workers should
 * `accept` only them.
 *
 * Why not `startOutboxRelay`: the test database is shared by every suite of the run, and the
 * relay drains the outbox of all tenants. It would take other suites' events (platform
 * end-to-end tests running their own worker would never see their uploads), and theirs would
 * take ours. The feeder below does the relay's job for this suite's tenants only: it publishes
 * each tenant's events from the log in tenant order (message id = event id) and then drops
 * their outbox rows, so other relays have as little of ours as possible to hand elsewhere.
 */
export interface Harness {
  sql: Sql;
  store: EventStore;
  transport: EventTransport;
  blobs: BlobStore;
  keyring: Keyring;
  tenants: Set<string>;
  log: ReturnType<typeof createLogger>;
  projectors: Projector[];
  /** a fresh tenant id of this suite */
  tenant(): string;
  provisionTenant(tenantId: string, settings?: Settings): Promise<number>;
  changeTenantSettings(tenantId: string, patch: Record<string, unknown>): Promise<number>;
  createProject(tenantId: string, settings?: Settings): Promise<{ projectId: string; position: number }>;
  changeProjectSettings(tenantId: string, projectId: string, patch: Record<string, unknown>): Promise<number>;
  /** stores the raw bytes, then appends the upload (and link) through the document decider */
  upload(
    tenantId: string,
    bytes: Uint8Array,
    opts?: { title?: string; projectId?: string },
  ): Promise<{ documentId: string; position: number; correlationId: string }>;
  link(tenantId: string, documentId: string, projectId: string): Promise<number>;
  /** runs any document command as a user would (e.g. DeleteDocument, or StartProcessing to fake a crash) */
  documentCommand(tenantId: string, documentId: string, command: Parameters<typeof documentDecider.decide>[0]): Promise<number>;
  /** waits until the views reflect `position` of the tenant */
  views(tenantId: string, position: number): Promise<void>;
  events(tenantId: string, documentId: string): Promise<EventEnvelope[]>;
  close(): Promise<void>;
}

const meta = (): EventMeta => ({ actor: 'user:test', correlation_id: randomUUID(), causation_id: null, traceparent: null });

/** Polls `check` until it returns a value other than undefined/false; never a fixed sleep. */
export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = SETTLE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startHarness(appUrl: string, name: string): Promise<Harness> {
  const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
  const sql = createSql(appUrl, { max: 8 });
  const store = createEventStore(sql);
  const transport = createInProcessTransport({ log });
  const published = new Map<string, number>();
  const feeding = new Map<string, Promise<void>>();
  async function feed(tenantId: string): Promise<void> {
    for (;;) {
      const after = published.get(tenantId) ?? 0;
      const events = await store.readTenant(tenantId, after, 500);
      if (events.length === 0) return;
      for (const e of events) {
        await transport.publish({
          subject: `events.${e.tenant_id}.${e.project_id ?? '_'}.${e.type}`,
          msgId: e.id,
          payload: encodeEvent(e),
        });
        published.set(tenantId, e.tenant_seq);
      }
      const upTo = published.get(tenantId) ?? 0;
      await withTenant(sql, tenantId, (tx) => releaseOutbox(tx, tenantId, upTo));
    }
  }
  const stopFeeding = store.onAppended((tenantId) => {
    if (!tenants.has(tenantId)) return;
    const next = (feeding.get(tenantId) ?? Promise.resolve())
      .then(() => feed(tenantId))
      .catch((err: unknown) => log.error({ err, tenant_id: tenantId }, 'test feeder failed'));
    feeding.set(tenantId, next);
  });
  const keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() });
  const dir = await mkdtemp(join(tmpdir(), 'mandant-ingestion-'));
  const blobs = createEncryptingBlobStore(createLocalBlobStore({ root: dir }), keyring);
  const tenants = new Set<string>();
  const projectors = [projectViews, tenantViews, onlyTenants(documentViews(keyring), `ingestion-test-${name}`, tenants)].map((projection) =>
    startProjector({ sql, projection, log, transport, sweepMs: 60_000 }),
  );
  const clock = systemClock;

  const tenantCommand = (tenantId: string, command: Parameters<typeof tenantDecider.decide>[0]) =>
    runCommand({
      store,
      clock,
      decider: tenantDecider,
      tenantId,
      stream: streams.tenant(tenantId),
      projectId: null,
      command,
      meta: meta(),
    });
  const projectCommand = (tenantId: string, projectId: string, command: Parameters<typeof projectDecider.decide>[0]) =>
    runCommand({ store, clock, decider: projectDecider, tenantId, stream: streams.project(projectId), projectId, command, meta: meta() });
  const documentCommand = (tenantId: string, documentId: string, command: Parameters<typeof documentDecider.decide>[0], m = meta()) =>
    runCommand({
      store,
      clock,
      decider: documentDecider,
      tenantId,
      stream: streams.document(documentId),
      projectId: null,
      command,
      meta: m,
    });

  return {
    sql,
    store,
    transport,
    blobs,
    keyring,
    tenants,
    log,
    projectors,
    tenant() {
      const id = randomUUID();
      tenants.add(id);
      return id;
    },
    async provisionTenant(tenantId, settings = {}) {
      const slug = `t-${tenantId.slice(0, 8)}`;
      return (await tenantCommand(tenantId, { type: 'ProvisionTenant', name: slug, slug, settings })).position;
    },
    async changeTenantSettings(tenantId, patch) {
      return (await tenantCommand(tenantId, { type: 'ChangeTenantSettings', patch })).position;
    },
    async createProject(tenantId, settings = {}) {
      const projectId = randomUUID();
      const slug = `p-${projectId.slice(0, 8)}`;
      const { position } = await projectCommand(tenantId, projectId, {
        type: 'CreateProject',
        name: slug,
        slug,
        description: '',
        settings,
      });
      return { projectId, position };
    },
    async changeProjectSettings(tenantId, projectId, patch) {
      return (await projectCommand(tenantId, projectId, { type: 'ChangeProjectSettings', patch })).position;
    },
    async upload(tenantId, bytes, opts = {}) {
      const documentId = randomUUID();
      const s = sniff(bytes);
      const kind = DocumentKind.safeParse(s.kind).data ?? DocumentKind.parse('unknown');
      const blob_key = documentKeys.raw(documentId, s.ext);
      await blobs.put(tenantId, blob_key, bytes, { contentType: s.contentType });
      const sealed = await sealJson(
        keyring,
        tenantId,
        documentId,
        { title: opts.title ?? null, filename: `upload.${s.ext}`, source_url: null },
        { scope: documentScope(documentId) },
      );
      const m = meta();
      const { position } = await documentCommand(
        tenantId,
        documentId,
        {
          type: 'UploadDocument',
          upload: {
            kind,
            content_type: s.contentType,
            ext: s.ext,
            size: bytes.length,
            content_sha256: createHash('sha256').update(bytes).digest('hex'),
            blob_key,
            sealed,
          },
          project_id: opts.projectId ?? null,
        },
        m,
      );
      return { documentId, position, correlationId: m.correlation_id };
    },
    async link(tenantId, documentId, projectId) {
      return (await documentCommand(tenantId, documentId, { type: 'LinkDocument', project_id: projectId })).position;
    },
    async documentCommand(tenantId, documentId, command) {
      return (await documentCommand(tenantId, documentId, command)).position;
    },
    async views(tenantId, position) {
      for (const p of projectors) await p.waitFor(tenantId, position, SETTLE_MS);
    },
    async events(tenantId, documentId) {
      return (await store.readStream(tenantId, streams.document(documentId))).events;
    },
    async close() {
      stopFeeding();
      await Promise.allSettled([...feeding.values()]);
      for (const p of projectors) await p.stop();
      await transport.close();
      await sql.end({ timeout: 5 });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
