/**
 * A tenant's log with a realistic mix for the rebuild benchmark, written through the real event
 * store in batches (one append per stream and step, several streams at once): the tenant and its
 * API keys, users, projects, memberships with frequent profile and UI-state saves, documents
 * uploaded, processed and embedded with small sealed artefacts in the tenant's bucket, many link
 * and unlink events over the projects, a few deletions and one deleted project with its unlinks.
 * Deterministic: a seeded generator picks everything but ids and times.
 */
import { createHash } from 'node:crypto';
import { type DocumentAnalysis, type DocumentVectors, type EventMeta, type NewEvent, documentKeys, streams } from '@mandant/contracts';
import type { EventStore } from '@mandant/shared/eventstore';
import { entityId, uuidv7 } from '@mandant/shared/ids';
import { inParallel } from '@mandant/shared/in-parallel';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import { seededRandom } from '@mandant/shared/testing';

export interface LogShape {
  documents: number;
  chunks: number;
  dimension: number;
  projects: number;
  users: number;
  /** link and unlink events in all (spread over the documents) */
  linkEvents: number;
  /** member.profile_updated / member.state_saved / user.project_switched events in all */
  memberEvents: number;
}

const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-rebuild', causation_id: null, traceparent: null };
const encoder = new TextEncoder();
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const ENTITIES = Array.from({ length: 40 }, (_, i) => ({
  name: `Entity ${i}`,
  type: (['person', 'organisation', 'place'] as const)[i % 3] ?? 'person',
}));

/** mulberry32: a small seeded generator, so two runs write the same mix. */
const rng = seededRandom;

type Step = { stream: string; events: NewEvent[] };

/** Runs appends `limit` at a time; each step's stream appears at most once per call, so order within a stream holds. */
async function appendAll(store: EventStore, tenantId: string, steps: Step[], limit = 8): Promise<void> {
  await inParallel(
    steps,
    async (step) => {
      await store.append(tenantId, step.stream, 'any', step.events, META);
    },
    limit,
  );
}

export async function writeTenantLog(
  deps: { events: EventStore; blobs: BlobStore; keyring: Keyring },
  tenantId: string,
  shape: LogShape,
): Promise<void> {
  const { events, blobs, keyring } = deps;
  const rand = rng(20_240_601);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const at = (): string => new Date().toISOString();
  const ev = (type: string, data: Record<string, unknown>, projectId: string | null = null): NewEvent => ({
    id: uuidv7(),
    type,
    project_id: projectId,
    occurred_at: at(),
    data,
  });

  const projects = Array.from({ length: shape.projects }, () => uuidv7());
  const users = Array.from({ length: shape.users }, () => uuidv7());
  const documents = Array.from({ length: shape.documents }, () => uuidv7());

  // tenant, users, projects
  const keys = Array.from({ length: 10 }, () => uuidv7());
  await appendAll(
    events,
    tenantId,
    [
      {
        stream: streams.tenant(tenantId),
        events: [
          ev('tenant.provisioned.v1', { name: 'Bench tenant', slug: 'bench-tenant', settings: { locale: 'en' } }),
          ...keys.map((key_id, i) =>
            ev('api_key.issued.v1', {
              key_id,
              name: `key ${i}`,
              user_id: null,
              role: 'member',
              prefix: `mk_${i}`,
              secret_hash: sha256(key_id),
            }),
          ),
          ...keys.slice(0, 3).map((key_id) => ev('api_key.revoked.v1', { key_id })),
          ev('tenant.settings_changed.v1', { settings: { locale: 'de' } }),
        ],
      },
    ],
    1,
  );
  await appendAll(events, tenantId, [
    ...users.map((u, i) => ({
      stream: streams.user(u),
      events: [ev('user.registered.v1', { email: `user${i}@bench.example`, name: `User ${i}` })],
    })),
    ...projects.map((p, i) => ({
      stream: streams.project(p),
      events: [
        ev('project.created.v1', { name: `Project ${i}`, slug: `project-${i}`, description: 'bench', settings: {} }, p),
        ev('project.updated.v1', { description: `bench project ${i}` }, p),
        ev('project.settings_changed.v1', { settings: { retention_days: 30 + i } }, p),
      ],
    })),
  ]);

  // memberships: every user in a few projects
  const members: Array<{ p: string; u: string }> = [];
  for (const u of users) for (const p of new Set(Array.from({ length: 3 }, () => pick(projects)))) members.push({ p, u });
  await appendAll(
    events,
    tenantId,
    members.map(({ p, u }) => ({
      stream: streams.membership(p, u),
      events: [ev('member.added.v1', { user_id: u, role: pick(['viewer', 'editor', 'admin'] as const) }, p)],
    })),
  );

  // documents: sealed artefacts first, then uploaded → processing → processed → embedded in one append
  const model = { id: 'bench-embed-v1', dimension: shape.dimension };
  const docSteps: Step[] = [];
  let d = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (d < documents.length) {
        const i = d++;
        const documentId = documents[i] ?? uuidv7();
        const title = `Document ${i}`;
        const chunks = Array.from(
          { length: shape.chunks },
          (_, c) => `${title}, part ${c}: ${pick(ENTITIES).name} met ${pick(ENTITIES).name} about payment ${Math.floor(rand() * 1e6)}.`,
        );
        const ents = [...new Set(Array.from({ length: 3 }, () => pick(ENTITIES)))].map((e) => ({
          ...e,
          id: entityId(tenantId, e.type, e.name.toLowerCase()),
        }));
        const analysis: DocumentAnalysis = {
          document_id: documentId,
          title,
          kind: 'text',
          chunks: chunks.map((text, index) => ({ index, text, start: 0, end: text.length })),
          entities: ents.map((e) => ({ id: e.id, type: e.type, name: e.name, normalised: e.name.toLowerCase(), count: 1 })),
          mentions: ents.map((e, k) => ({ entity_id: e.id, chunk_index: k % shape.chunks, start: 0, end: e.name.length })),
          relations: ents.slice(1).map((e, k) => ({ a: ents[k]?.id ?? e.id, b: e.id, confidence: 0.5, chunk_indexes: [] })),
        };
        const vectors: DocumentVectors = {
          document_id: documentId,
          model: model.id,
          dimension: model.dimension,
          vectors: chunks.map(() => Array.from({ length: model.dimension }, () => rand() - 0.5)),
        };
        const raw = encoder.encode(chunks.join('\n'));
        const analysisBytes = encoder.encode(JSON.stringify(analysis));
        const vectorBytes = encoder.encode(JSON.stringify(vectors));
        const analysisKey = documentKeys.analysis(documentId, sha256(analysisBytes));
        const vectorsKey = documentKeys.vectors(documentId, model.id, sha256(vectorBytes));
        await blobs.put(tenantId, documentKeys.raw(documentId, 'txt'), raw);
        await blobs.put(tenantId, documentKeys.text(documentId), raw);
        await blobs.put(tenantId, analysisKey, analysisBytes);
        await blobs.put(tenantId, vectorsKey, vectorBytes);
        docSteps[i] = {
          stream: streams.document(documentId),
          events: [
            ev('document.uploaded.v1', {
              kind: 'text',
              content_type: 'text/plain',
              ext: 'txt',
              size: raw.byteLength,
              content_sha256: sha256(raw),
              blob_key: documentKeys.raw(documentId, 'txt'),
              sealed: await sealJson(keyring, tenantId, documentId, { title, filename: `${title}.txt`, source_url: null }),
            }),
            ev('document.processing.v1', { attempt: 1 }),
            ev('document.processed.v1', {
              pages: null,
              chunk_count: shape.chunks,
              entity_count: ents.length,
              text_key: documentKeys.text(documentId),
              analysis_key: analysisKey,
              analysis_sha256: sha256(analysisBytes),
              sealed: await sealJson(keyring, tenantId, documentId, { title }),
            }),
            ev('document.embedded.v1', {
              model: model.id,
              dimension: model.dimension,
              vectors_key: vectorsKey,
              vectors_sha256: sha256(vectorBytes),
              chunk_count: shape.chunks,
            }),
          ],
        };
      }
    }),
  );
  await appendAll(events, tenantId, docSteps);

  // rounds of link/unlink (≤ 10 per document and round) interleaved with member activity
  const linked = new Map(documents.map((id) => [id, new Set<string>()]));
  const linkRounds = Math.max(1, Math.ceil(shape.linkEvents / shape.documents / 10));
  let linksLeft = shape.linkEvents;
  let memberLeft = shape.memberEvents;
  for (let r = 0; r < linkRounds; r++) {
    const steps: Step[] = [];
    for (const documentId of documents) {
      const set = linked.get(documentId) ?? new Set<string>();
      const batch: NewEvent[] = [];
      for (let k = 0; k < 10 && linksLeft > 0; k++, linksLeft--) {
        const p = set.size >= 4 ? pick([...set]) : pick(projects);
        if (set.has(p)) set.delete(p);
        else set.add(p);
        const project_ids = [...set].sort();
        batch.push(
          set.has(p)
            ? ev('document.linked.v1', { project_id: p, project_ids }, p)
            : ev('document.unlinked.v1', { project_id: p, project_ids, reason: 'unlinked' }, p),
        );
      }
      if (batch.length > 0) steps.push({ stream: streams.document(documentId), events: batch });
    }
    const perRound = Math.ceil(memberLeft / (linkRounds - r));
    const byStream = new Map<string, NewEvent[]>();
    for (let k = 0; k < perRound; k++, memberLeft--) {
      const m = pick(members);
      const kind = rand();
      const [stream, e] =
        kind < 0.1
          ? [streams.user(m.u), ev('user.project_switched.v1', { from_project_id: null, to_project_id: m.p })]
          : kind < 0.3
            ? [
                streams.membership(m.p, m.u),
                ev('member.profile_updated.v1', { user_id: m.u, display_name: `User ${k}`, preferences: { theme: 'dark' } }, m.p),
              ]
            : [
                streams.membership(m.p, m.u),
                ev('member.state_saved.v1', { user_id: m.u, state: { open_tab: 'documents', scroll: k } }, m.p),
              ];
      byStream.set(stream, [...(byStream.get(stream) ?? []), e]);
    }
    for (const [stream, list] of byStream) steps.push({ stream, events: list });
    await appendAll(events, tenantId, steps);
  }

  // endings: a few documents deleted, one project deleted with the unlinks it causes
  const deleted = documents.filter((_, i) => i % 20 === 7);
  await appendAll(
    events,
    tenantId,
    deleted.map((id) => ({
      stream: streams.document(id),
      events: [ev('document.deleted.v1', { project_ids: [...(linked.get(id) ?? [])].sort() })],
    })),
  );
  const gone = projects[0];
  if (gone) {
    await appendAll(events, tenantId, [{ stream: streams.project(gone), events: [ev('project.deleted.v1', {}, gone)] }]);
    const unlinks = documents
      .filter((id) => !deleted.includes(id) && linked.get(id)?.has(gone))
      .map((id) => {
        const set = linked.get(id) ?? new Set<string>();
        set.delete(gone);
        return {
          stream: streams.document(id),
          events: [ev('document.unlinked.v1', { project_id: gone, project_ids: [...set].sort(), reason: 'project_deleted' }, gone)],
        };
      });
    await appendAll(events, tenantId, unlinks);
  }
}
