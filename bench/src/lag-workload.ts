/**
 * The event mix of `bench/lag.ts`: per tenant, a seeded generator that hands out one event at a
 * time, as the services would append them — documents going through upload, processing,
 * processed and embedded (small sealed artefacts written before the clock starts, as ingestion
 * writes them before it appends), links and unlinks of ready documents, and project and member
 * activity (UI-state saves, profile edits, project switches, project edits, new memberships).
 * Each call decides the event from the generator's state synchronously, so appends issued in call
 * order per stream keep every stream consistent.
 */
import { createHash } from 'node:crypto';
import { type DocumentAnalysis, type DocumentVectors, type NewEvent, documentKeys, streams } from '@mandant/contracts';
import { entityId, uuidv7 } from '@mandant/shared/ids';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import { seededRandom } from '@mandant/shared/testing';

export interface Step {
  stream: string;
  event: NewEvent;
}

/** Share of the events by family; the rest is project and member activity. */
export const MIX = { document: 0.3, link: 0.3 } as const;

const encoder = new TextEncoder();
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const ENTITIES = Array.from({ length: 30 }, (_, i) => ({
  name: `Entity ${i}`,
  type: (['person', 'organisation', 'place'] as const)[i % 3] ?? 'person',
}));

/** mulberry32: a small seeded generator, so two runs drive the same mix. */
export const rng = seededRandom;

const ev = (type: string, data: Record<string, unknown>, projectId: string | null = null): NewEvent => ({
  id: uuidv7(),
  type,
  project_id: projectId,
  occurred_at: new Date().toISOString(),
  data,
});

/** A document whose artefacts are already in the tenant's bucket: the data of its four lifecycle events. */
export interface PreparedDocument {
  id: string;
  lifecycle: Array<{ type: string; data: Record<string, unknown> }>;
}

export async function prepareDocument(
  deps: { blobs: BlobStore; keyring: Keyring },
  tenantId: string,
  rand: () => number,
  shape: { chunks: number; dimension: number },
): Promise<PreparedDocument> {
  const id = uuidv7();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const title = `Document ${id.slice(-6)}`;
  const chunks = Array.from(
    { length: shape.chunks },
    (_, c) => `${title}, part ${c}: ${pick(ENTITIES).name} met ${pick(ENTITIES).name} about payment ${Math.floor(rand() * 1e6)}.`,
  );
  const ents = [...new Set(Array.from({ length: 3 }, () => pick(ENTITIES)))].map((e) => ({
    ...e,
    id: entityId(tenantId, e.type, e.name.toLowerCase()),
  }));
  const analysis: DocumentAnalysis = {
    document_id: id,
    title,
    kind: 'text',
    chunks: chunks.map((text, index) => ({ index, text, start: 0, end: text.length })),
    entities: ents.map((e) => ({ id: e.id, type: e.type, name: e.name, normalised: e.name.toLowerCase(), count: 1 })),
    mentions: ents.map((e, k) => ({ entity_id: e.id, chunk_index: k % shape.chunks, start: 0, end: e.name.length })),
    relations: ents.slice(1).map((e, k) => ({ a: ents[k]?.id ?? e.id, b: e.id, confidence: 0.5, chunk_indexes: [] })),
  };
  const model = { id: 'bench-embed-v1', dimension: shape.dimension };
  const vectors: DocumentVectors = {
    document_id: id,
    model: model.id,
    dimension: model.dimension,
    vectors: chunks.map(() => Array.from({ length: model.dimension }, () => rand() - 0.5)),
  };
  const raw = encoder.encode(chunks.join('\n'));
  const analysisBytes = encoder.encode(JSON.stringify(analysis));
  const vectorBytes = encoder.encode(JSON.stringify(vectors));
  const analysisKey = documentKeys.analysis(id, sha256(analysisBytes));
  const vectorsKey = documentKeys.vectors(id, model.id, sha256(vectorBytes));
  await deps.blobs.put(tenantId, documentKeys.raw(id, 'txt'), raw);
  await deps.blobs.put(tenantId, documentKeys.text(id), raw);
  await deps.blobs.put(tenantId, analysisKey, analysisBytes);
  await deps.blobs.put(tenantId, vectorsKey, vectorBytes);
  return {
    id,
    lifecycle: [
      {
        type: 'document.uploaded.v1',
        data: {
          kind: 'text',
          content_type: 'text/plain',
          ext: 'txt',
          size: raw.byteLength,
          content_sha256: sha256(raw),
          blob_key: documentKeys.raw(id, 'txt'),
          sealed: await sealJson(deps.keyring, tenantId, id, { title, filename: `${title}.txt`, source_url: null }),
        },
      },
      { type: 'document.processing.v1', data: { attempt: 1 } },
      {
        type: 'document.processed.v1',
        data: {
          pages: null,
          chunk_count: shape.chunks,
          entity_count: ents.length,
          text_key: documentKeys.text(id),
          analysis_key: analysisKey,
          analysis_sha256: sha256(analysisBytes),
          sealed: await sealJson(deps.keyring, tenantId, id, { title }),
        },
      },
      {
        type: 'document.embedded.v1',
        data: {
          model: model.id,
          dimension: model.dimension,
          vectors_key: vectorsKey,
          vectors_sha256: sha256(vectorBytes),
          chunk_count: shape.chunks,
        },
      },
    ],
  };
}

export interface TenantWorkload {
  /** tenant, users, projects and memberships: appended before the clock starts */
  setup(): Step[];
  /** the next event of the mix */
  next(): Step;
}

export function tenantWorkload(
  tenantId: string,
  rand: () => number,
  documents: PreparedDocument[],
  size: { users: number; projects: number },
): TenantWorkload {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const users = Array.from({ length: size.users }, () => uuidv7());
  const projects = Array.from({ length: size.projects }, () => uuidv7());
  const members: Array<{ p: string; u: string }> = [];
  const memberKeys = new Set<string>();
  const waiting = [...documents];
  /** documents part-way through their lifecycle, with the index of their next event */
  const inFlight: Array<{ doc: PreparedDocument; stage: number }> = [];
  /** embedded documents and the projects each is linked to */
  const ready: Array<{ id: string; links: Set<string> }> = [];

  function addMember(p: string, u: string): Step | null {
    if (memberKeys.has(`${p}/${u}`)) return null;
    memberKeys.add(`${p}/${u}`);
    members.push({ p, u });
    return {
      stream: streams.membership(p, u),
      event: ev('member.added.v1', { user_id: u, role: pick(['viewer', 'editor', 'admin'] as const) }, p),
    };
  }

  function documentStep(): Step | null {
    if (waiting.length > 0 && (inFlight.length < 6 || rand() < 0.2)) {
      const doc = waiting.shift();
      if (doc) inFlight.push({ doc, stage: 0 });
    }
    if (inFlight.length === 0) return null;
    const i = Math.floor(rand() * inFlight.length);
    const cur = inFlight[i];
    const step = cur?.doc.lifecycle[cur.stage];
    if (!cur || !step) return null;
    cur.stage += 1;
    if (cur.stage >= cur.doc.lifecycle.length) {
      inFlight.splice(i, 1);
      ready.push({ id: cur.doc.id, links: new Set() });
    }
    return { stream: streams.document(cur.doc.id), event: ev(step.type, step.data) };
  }

  function linkStep(): Step | null {
    if (ready.length === 0) return null;
    const doc = pick(ready);
    const unlink = doc.links.size >= 3 || (doc.links.size > 0 && rand() < 0.4);
    const p = unlink ? pick([...doc.links]) : pick(projects.filter((x) => !doc.links.has(x)));
    if (unlink) doc.links.delete(p);
    else doc.links.add(p);
    const project_ids = [...doc.links].sort();
    const event = unlink
      ? ev('document.unlinked.v1', { project_id: p, project_ids, reason: 'unlinked' }, p)
      : ev('document.linked.v1', { project_id: p, project_ids }, p);
    return { stream: streams.document(doc.id), event };
  }

  function memberStep(): Step {
    const r = rand();
    const m = pick(members);
    if (r < 0.6 || !m) {
      const x = m ?? { p: projects[0] ?? '', u: users[0] ?? '' };
      return {
        stream: streams.membership(x.p, x.u),
        event: ev('member.state_saved.v1', { user_id: x.u, state: { open_tab: 'documents', scroll: Math.floor(r * 1000) } }, x.p),
      };
    }
    if (r < 0.8)
      return {
        stream: streams.membership(m.p, m.u),
        event: ev(
          'member.profile_updated.v1',
          { user_id: m.u, display_name: `User ${m.u.slice(-4)}`, preferences: { theme: r < 0.7 ? 'dark' : 'light' } },
          m.p,
        ),
      };
    if (r < 0.9) return { stream: streams.user(m.u), event: ev('user.project_switched.v1', { from_project_id: null, to_project_id: m.p }) };
    if (r < 0.97)
      return { stream: streams.project(m.p), event: ev('project.updated.v1', { description: `edited ${Math.floor(r * 1e6)}` }, m.p) };
    return (
      addMember(pick(projects), pick(users)) ?? {
        stream: streams.project(m.p),
        event: ev('project.updated.v1', { description: 'edited' }, m.p),
      }
    );
  }

  return {
    setup() {
      const steps: Step[] = [
        {
          stream: streams.tenant(tenantId),
          event: ev('tenant.provisioned.v1', {
            name: `Lag tenant ${tenantId.slice(-6)}`,
            slug: `lag-${tenantId.slice(-12)}`,
            settings: {},
          }),
        },
      ];
      users.forEach((u, i) =>
        steps.push({ stream: streams.user(u), event: ev('user.registered.v1', { email: `user${i}@lag.example`, name: `User ${i}` }) }),
      );
      projects.forEach((p, i) =>
        steps.push({
          stream: streams.project(p),
          event: ev('project.created.v1', { name: `Project ${i}`, slug: `project-${i}`, description: 'lag bench', settings: {} }, p),
        }),
      );
      for (const u of users)
        for (const p of new Set([pick(projects), pick(projects)])) {
          const s = addMember(p, u);
          if (s) steps.push(s);
        }
      return steps;
    },
    next() {
      const r = rand();
      if (r < MIX.document) return documentStep() ?? linkStep() ?? memberStep();
      if (r < MIX.document + MIX.link) return linkStep() ?? documentStep() ?? memberStep();
      return memberStep();
    },
  };
}
