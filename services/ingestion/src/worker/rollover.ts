import { documentsLacking, embeddingCoverage } from '@mandant/documents';
import { modelFor } from '@mandant/project';
import { type Sql, withTenant } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';

/**
 * The installation's default model changed (EMBEDDING_MODEL): documents of every tenant that
 * follows the default (no model of its own; its projects without one follow the tenant) are
 * embedded in the new default, in the background. Until a scope's documents all have it, search
 * keeps the model the scope had (project's `servingModel`), and new uploads get both.
 *
 * - Where the state lives: `embedding_defaults` (ingestion's table) holds, per tenant, the default
 *   its documents were last brought up to. A tenant whose row differs from the process's default,
 *   or has none, gets a pass; the row is written when the pass ends.
 * - Resumable: a pass works through the documents the views show without the new model, by id, so
 *   one cut short by a crash or a stop starts again at the next start and finds only the rest
 *   (`ensureEmbeddings` skips models present anyway).
 * - Fair and throttled: tenants take turns, one document each; before each document the pass
 *   waits until no upload or link is being worked on (`idle`), and pauses `pauseMs` after it, so
 *   one tenant's ten thousand documents never hold up another tenant's uploads.
 * - Progress is logged per tenant every `logEvery` documents and when it finishes.
 *
 * Known limits: a tenant created while the process runs gets its row at the next start (it
 * needs no work: its documents are embedded in the current default from the start). A document
 * the pass cannot embed (its model is not served here, its analysis is gone) is logged and passed
 * over; the next start tries it again.
 */
export interface RolloverDeps {
  sql: Sql;
  log: Logger;
  /** EMBEDDING_MODEL as configured (what `embedding_defaults` records) */
  defaultModel: string;
  /** a model's name as its embeddings record it, or null when it is not served here */
  resolve(model: string): string | null;
  /** the tenants this worker serves */
  accept(tenantId: string): boolean;
  /** embeds one document with every model it lacks (the worker's, serialised per document) */
  ensure(tenantId: string, documentId: string): Promise<unknown>;
  /** resolves when no foreground work (uploads, links, settings changes) is in flight */
  idle(): Promise<void>;
  /** pause after each document (default 25 ms) */
  pauseMs?: number;
  /** progress line every this many documents of a tenant (default 100) */
  logEvery?: number;
}

export interface Rollover {
  /** resolves when every accepted tenant is up to date (or the rollover was stopped) */
  done: Promise<{ tenants: number; documents: number }>;
  stop(): Promise<void>;
}

interface TenantPass {
  tenantId: string;
  queue: string[];
  cursor: string | null;
  done: number;
  failed: number;
  total: number;
  exhausted: boolean;
}

const BATCH = 50;

export function startRollover(deps: RolloverDeps): Rollover {
  const { sql, log } = deps;
  const model = deps.resolve(deps.defaultModel) ?? deps.defaultModel;
  const pauseMs = deps.pauseMs ?? 25;
  const logEvery = deps.logEvery ?? 100;
  let stopped = false;

  const record = (tenantId: string) =>
    withTenant(
      sql,
      tenantId,
      (tx) => tx`insert into embedding_defaults (tenant_id, model) values (${tenantId}, ${deps.defaultModel})
               on conflict (tenant_id) do update set model = excluded.model, applied_at = now()`,
    );

  /** The tenant's pass, or null when it is up to date (then recorded as such when it needs no work). */
  async function passOf(tenantId: string): Promise<TenantPass | null> {
    const state = await withTenant(sql, tenantId, async (tx) => {
      const [row] = await tx<{ model: string }[]>`select model from embedding_defaults where tenant_id = ${tenantId}`;
      if (row?.model === deps.defaultModel) return null;
      // a tenant with a model of its own (and so its projects without one) does not follow the default
      const own = await modelFor(tx, tenantId, null, deps.defaultModel);
      if ((deps.resolve(own) ?? own) !== model) return { total: 0 };
      const coverage = await embeddingCoverage(tx, tenantId, null);
      const have = coverage.models.find((m) => m.model === model)?.documents ?? 0;
      return { total: Math.max(0, coverage.documents - have), previous: row?.model ?? null };
    });
    if (state === null) return null;
    if (state.total === 0) {
      await record(tenantId);
      return null;
    }
    log.info({ tenant_id: tenantId, model, previous: state.previous, documents: state.total }, 'default model changed: re-embedding');
    return { tenantId, queue: [], cursor: null, done: 0, failed: 0, total: state.total, exhausted: false };
  }

  /** The tenant's next document, or null when its pass is through. */
  async function next(pass: TenantPass): Promise<string | null> {
    if (pass.queue.length === 0 && !pass.exhausted) {
      pass.queue = await withTenant(sql, pass.tenantId, (tx) => documentsLacking(tx, pass.tenantId, model, pass.cursor, BATCH));
      pass.exhausted = pass.queue.length < BATCH;
    }
    return pass.queue.shift() ?? null;
  }

  async function run(): Promise<{ tenants: number; documents: number }> {
    const tenants = await sql<{ tenant_id: string }[]>`select tenant_id from mandant_tenant_positions() order by tenant_id`;
    const passes: TenantPass[] = [];
    for (const { tenant_id } of tenants) {
      if (stopped) break;
      if (!deps.accept(tenant_id)) continue;
      const pass = await passOf(tenant_id).catch((err: unknown) => {
        log.warn({ tenant_id, err }, 'could not read whether the tenant follows the default model');
        return null;
      });
      if (pass) passes.push(pass);
    }
    const summary = { tenants: passes.length, documents: 0 };
    // round robin, one document per tenant per turn
    while (passes.length > 0 && !stopped) {
      for (const pass of [...passes]) {
        if (stopped) break;
        await deps.idle();
        const documentId = await next(pass);
        if (documentId === null) {
          passes.splice(passes.indexOf(pass), 1);
          // a document that failed keeps the tenant's old row: the next start tries it again
          if (pass.failed === 0) await record(pass.tenantId);
          log.info({ tenant_id: pass.tenantId, model, documents: pass.done, failed: pass.failed }, 'default model re-embedding finished');
          continue;
        }
        pass.cursor = documentId;
        await deps.ensure(pass.tenantId, documentId).catch((err: unknown) => {
          pass.failed += 1;
          log.warn(
            { tenant_id: pass.tenantId, document_id: documentId, model, err },
            're-embedding a document failed; next start tries again',
          );
        });
        pass.done += 1;
        summary.documents += 1;
        if (pass.done % logEvery === 0)
          log.info({ tenant_id: pass.tenantId, model, done: pass.done, of: pass.total }, 'default model re-embedding');
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
    return summary;
  }

  const done = run().catch((err: unknown) => {
    log.error({ err, model }, 'default model re-embedding stopped; the next start resumes it');
    return { tenants: 0, documents: 0 };
  });
  return {
    done,
    async stop() {
      stopped = true;
      await done;
    },
  };
}
