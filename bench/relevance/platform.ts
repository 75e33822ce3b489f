/**
 * The evaluation set inside a running platform, through its HTTP API only: one tenant, one
 * project per embedding model, the corpus uploaded once (unassigned) and linked to every project
 * (linking embeds with each project's model), then a wait until every document is processed,
 * embedded with every model, and every projector has caught up with the tenant's log.
 */
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { type Harness, OPERATOR } from '@mandant/platform/testing';
import type { CorpusDoc } from './data.ts';

export interface Loaded {
  key: string;
  /** model id → project id */
  projects: Map<string, string>;
  /** platform document id → corpus document id */
  corpusIdOf: Map<string, string>;
}

/**
 * A call that must succeed. A 409 (the document's stream moved on under a concurrent write) and a
 * 503 (a service still starting) are retried a few times, as a client of the API would.
 */
async function must(h: Harness, method: string, path: string, token: string, body?: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    // plain fetch, not the harness's checked call: the benchmark measures answers, it does not hold them to the API document
    const res = await fetch(`${h.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status < 300) return text ? JSON.parse(text) : null;
    if (attempt >= 5 || (res.status !== 409 && res.status !== 503)) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

export async function loadCorpus(
  h: Harness,
  docs: readonly CorpusDoc[],
  models: readonly string[],
  log: (s: string) => void,
): Promise<Loaded> {
  const tenant = await must(h, 'POST', '/tenants', OPERATOR, { name: 'Relevance bench', slug: `relevance-${Date.now().toString(36)}` });
  const key = tenant.admin_api_key as string;
  const projects = new Map<string, string>();
  for (const model of models) {
    const p = await must(h, 'POST', '/projects', key, { name: `Relevance ${model}`, settings: { embedding_model: model } });
    projects.set(model, (p.project ?? p).id as string);
  }

  const t0 = performance.now();
  const corpusIdOf = new Map<string, string>();
  await inParallel(docs, 8, async (d) => {
    const up = await must(h, 'POST', '/documents', key, { title: d.title, content: d.text });
    if (up.duplicate) throw new Error(`corpus document ${d.id} was taken for a duplicate of another`);
    corpusIdOf.set(up.id as string, d.id);
  });
  log(`Uploaded ${docs.length} documents in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);

  // processing and embedding take minutes with a real model on a small machine: a generous bound
  const deadline = Math.max(SETTLE_MS, 30 * 60_000);
  const waitFor = async (what: string, done: (d: ListedDocument) => boolean) => {
    let last = '';
    await eventually(
      async () => {
        const all = await listDocuments(h, key);
        const failed = all.filter((d) => d.status === 'failed');
        if (failed.length > 0) throw new Error(`${failed.length} documents failed processing, e.g. ${corpusIdOf.get(failed[0]?.id ?? '')}`);
        const line = `${all.filter(done).length}/${docs.length} documents ${what}`;
        if (line !== last) log(`  ${line} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        last = line;
        return all.filter(done).length === docs.length;
      },
      `the corpus to be ${what}`,
      deadline,
      2000,
    );
  };
  // linking while the worker still writes a document's results only meets version conflicts
  await waitFor('processed', (d) => d.status === 'processed');
  const ids = [...corpusIdOf.keys()];
  for (const projectId of projects.values()) {
    for (let i = 0; i < ids.length; i += 500)
      await must(h, 'POST', `/projects/${projectId}/documents/link`, key, { document_ids: ids.slice(i, i + 500) });
  }
  log(`Linked them to ${projects.size} project(s).`);
  await waitFor('embedded with every model', (d) => models.every((m) => d.embeddings.some((e) => e.model === m)));
  await eventually(
    async () => {
      const status = (await must(h, 'GET', '/projections/status', key)) as { projectors: Array<{ lag: number }> };
      return status.projectors.every((p) => p.lag === 0);
    },
    'every projector to catch up',
    deadline,
    500,
  );
  log(`Corpus processed, embedded and projected ${((performance.now() - t0) / 1000).toFixed(1)} s after the first upload.`);
  return { key, projects, corpusIdOf };
}

interface ListedDocument {
  id: string;
  status: string;
  embeddings: Array<{ model: string }>;
}

async function listDocuments(h: Harness, key: string): Promise<ListedDocument[]> {
  const all: ListedDocument[] = [];
  let cursor: string | null = null;
  do {
    const page = (await must(h, 'GET', `/documents?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key)) as {
      documents: ListedDocument[];
      next_cursor: string | null;
    };
    all.push(...page.documents);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

export interface Hit {
  document_id: string;
  /** 'weak' when the search marks a hit as weak (absent when it marks none) */
  match?: string;
}

export async function search(h: Harness, key: string, projectId: string, query: string, mode: string, limit: number): Promise<Hit[]> {
  const body = await must(h, 'POST', `/projects/${projectId}/search`, key, { query, mode, limit });
  return body.hits as Hit[];
}
