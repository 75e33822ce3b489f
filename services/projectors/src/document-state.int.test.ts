import { randomUUID } from 'node:crypto';
import { type EventEnvelope, streams } from '@mandant/contracts';
import { foldDocument } from '@mandant/documents';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { postgresUrls } from '@mandant/shared/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentStates, toDocumentAt } from './document-state.ts';
import { readLog } from './testing/scenario.ts';

const pg = postgresUrls();
const PROJECTS = [randomUUID(), randomUUID(), randomUUID()];
const TYPES = ['document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1'] as const;

/** One event of a document's stream: which document, what it says, the link set after it. */
const step = fc.record({
  doc: fc.nat({ max: 3 }),
  type: fc.constantFrom(...TYPES),
  projects: fc.subarray(PROJECTS),
});

describe.skipIf(!pg)('the projectors’ document states (createDocumentStates)', () => {
  let sql: Sql;
  let store: EventStore;
  beforeAll(() => {
    sql = createSql(pg?.appUrl ?? '', { max: 4, appName: 'mandant-document-states-test' });
    store = createEventStore(sql);
  });
  afterAll(async () => {
    await sql?.end();
  });

  it('give each event of a page the document as its whole stream stands after it, whatever the pages and the types a projection reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 24 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 24 }),
        fc.subarray([...TYPES], { minLength: 1 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }),
        async (steps, sizes, read, again) => {
          const tenant = randomUUID();
          const docs = Array.from({ length: 4 }, () => randomUUID());
          const versions = docs.map(() => 0);
          for (const s of steps) {
            const documentId = docs[s.doc] ?? '';
            const data =
              s.type === 'document.deleted.v1'
                ? { project_ids: s.projects }
                : {
                    project_id: PROJECTS[0],
                    project_ids: s.projects,
                    ...(s.type === 'document.unlinked.v1' ? { reason: 'unlinked' } : {}),
                  };
            const event = { id: uuidv7(), type: s.type, project_id: null, occurred_at: new Date().toISOString(), data };
            const meta = { actor: 'user:test', correlation_id: randomUUID(), causation_id: null, traceparent: null };
            await store.append(tenant, streams.document(documentId), versions[s.doc] ?? 0, [event], meta);
            versions[s.doc] = (versions[s.doc] ?? 0) + 1;
          }
          const log = await readLog(sql, tenant);
          const expected = (e: EventEnvelope) =>
            toDocumentAt(
              e.stream.slice('document-'.length),
              foldDocument(log.filter((x) => x.stream === e.stream && x.version <= e.version)),
            );
          // the log in pages of the given sizes, a projection reading only `read`; a page is
          // sometimes applied again (its transaction rolled back, or a redelivery)
          const states = createDocumentStates();
          let at = 0;
          for (let i = 0; at < log.length; i++) {
            const page = log.slice(at, at + (sizes[i % sizes.length] ?? 1));
            const handled = page.filter((e) => (read as string[]).includes(e.type));
            for (let round = 0; round < (again[i % again.length] ? 2 : 1); round++) {
              const got = await withTenant(sql, tenant, (tx) => states.at(tx, handled));
              const pairs = got.flatMap((d) => d.steps.map((s) => ({ id: s.event.id, doc: s.doc })));
              expect(pairs.map((p) => p.id).sort()).toEqual(handled.map((e) => e.id).sort());
              for (const e of handled) expect(pairs.find((p) => p.id === e.id)?.doc).toEqual(expected(e));
            }
            at += page.length;
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
