import type { Settings } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { tenantSettings } from '@mandant/tenant';

/**
 * Which embedding model a tenant or project asks for: the one place that reads the model
 * settings. Model isolation (DESIGN rule 7): a document is embedded with its tenant's model (the
 * global index) and with the model of every project it is linked to, so vectors of two models
 * never meet in one index. Which embedder serves a model id is the ingestion worker's concern
 * (its embedder registry); `defaultModel` is that registry's.
 */

/** Settings known better than the views: those of the event being handled (views may lag it). */
export interface SettingsOverrides {
  tenant?: Settings;
  project?: { projectId: string; settings: Settings };
}

function embeddingModelOf(settings: unknown): string | null {
  if (typeof settings !== 'object' || settings === null) return null;
  const model = (settings as Record<string, unknown>)['embedding_model'];
  return typeof model === 'string' && model.trim() !== '' ? model.trim() : null;
}

async function tenantModel(tx: Tx, tenantId: string, defaultModel: string, overrides: SettingsOverrides): Promise<string> {
  return embeddingModelOf(overrides.tenant ?? (await tenantSettings(tx, tenantId))) ?? defaultModel;
}

/**
 * The model a project's documents are embedded with: the project's `settings.embedding_model`,
 * else the tenant's, else `defaultModel`; `projectId: null` asks for the tenant's (global) model.
 * Reads the project's view and the tenant's settings; run inside `withTenant` for `tenantId`.
 */
export async function modelFor(
  tx: Tx,
  tenantId: string,
  projectId: string | null,
  defaultModel: string,
  overrides: SettingsOverrides = {},
): Promise<string> {
  if (projectId !== null) {
    const id = projectId.toLowerCase();
    let settings: unknown;
    if (overrides.project && overrides.project.projectId.toLowerCase() === id) settings = overrides.project.settings;
    else {
      const [row] = await tx<
        { settings: unknown }[]
      >`select settings from projects_view where tenant_id = ${tenantId} and project_id = ${id}`;
      settings = row?.settings;
    }
    const own = embeddingModelOf(settings);
    if (own !== null) return own;
  }
  return tenantModel(tx, tenantId, defaultModel, overrides);
}

/**
 * A scope's processed documents and, per model, how many are embedded in it: the documents
 * context's `embeddingCoverage`, which the caller passes in (documents depends on this package).
 * `projectId: null` is the tenant's global index; `except` leaves out the document being embedded.
 */
export type CoverageReader = (
  tx: Tx,
  tenantId: string,
  projectId: string | null,
  opts?: { except?: string },
) => Promise<{ documents: number; models: readonly { model: string; documents: number; lastEmbeddedAt: Date | null }[] }>;

export interface ServingOptions {
  coverage: CoverageReader;
  /** a model's canonical name (as its embeddings record it), or null when this deployment cannot embed with it */
  resolve?: (model: string) => string | null;
  /** the document being embedded: left out of the coverage */
  except?: string;
  /**
   * Scopes recently found complete in their desired model, so the common case (no change under
   * way) skips the coverage, which reads every document of the scope. `servingModel` remembers
   * only complete answers: a scope complete in D a moment ago still searches D, whatever was
   * added since (new documents get D as their desired model anyway).
   */
  memo?: ServingMemo;
}

export interface ServingMemo {
  get(tenantId: string, projectId: string | null): ModelServing | undefined;
  set(tenantId: string, projectId: string | null, serving: ModelServing): void;
}

/** Which model a scope searches while its desired model may still be incomplete. */
export interface ModelServing {
  /** the model searched: `desired` once every processed document has it, else the last model complete */
  model: string;
  /** the model the settings ask for (canonical name) */
  desired: string;
  /** processed documents in the scope */
  documents: number;
  /** how many of them are embedded in `desired` */
  embedded: number;
}

const newest = (a: Date | null): number => a?.getTime() ?? Number.NEGATIVE_INFINITY;

/**
 * The choice itself (pure): the desired model once it covers every processed document (a scope
 * without documents switches at once); until then the model covering most of them, the one whose
 * last embedding is newest among equals — the last model the scope was complete in, since a
 * scope's documents get the model it searches (see `requiredModels`). Models this deployment
 * cannot embed with are never chosen in place of the desired one.
 */
export function chooseServing(
  desired: string,
  coverage: Awaited<ReturnType<CoverageReader>>,
  resolve: (model: string) => string | null = (m) => m,
): ModelServing {
  const wanted = resolve(desired) ?? desired;
  const embedded = coverage.models.find((m) => m.model === wanted)?.documents ?? 0;
  const settled = { desired: wanted, documents: coverage.documents, embedded };
  if (embedded >= coverage.documents) return { model: wanted, ...settled };
  const [best] = coverage.models
    .filter((m) => m.model !== wanted && resolve(m.model) !== null)
    .sort((a, b) => b.documents - a.documents || newest(b.lastEmbeddedAt) - newest(a.lastEmbeddedAt) || a.model.localeCompare(b.model));
  return { model: best && best.documents > embedded ? best.model : wanted, ...settled };
}

/**
 * The model a scope searches now (`projectId: null`: the tenant's global index): its desired
 * model (`modelFor`) once complete, else the model it last had complete (`chooseServing`). Run
 * inside `withTenant` for `tenantId`.
 */
export async function servingModel(
  tx: Tx,
  tenantId: string,
  projectId: string | null,
  defaultModel: string,
  serving: ServingOptions,
  overrides: SettingsOverrides = {},
): Promise<ModelServing> {
  const desired = await modelFor(tx, tenantId, projectId, defaultModel, overrides);
  const wanted = serving.resolve?.(desired) ?? desired;
  const known = serving.memo?.get(tenantId, projectId);
  if (known && known.desired === wanted && known.model === wanted) return known;
  const coverage = await serving.coverage(tx, tenantId, projectId, serving.except === undefined ? {} : { except: serving.except });
  const chosen = chooseServing(desired, coverage, serving.resolve);
  if (chosen.model === chosen.desired) serving.memo?.set(tenantId, projectId, chosen);
  return chosen;
}

/**
 * A `ServingMemo` in this process's memory: each answer for `ttlMs` (default 5 s), at most
 * `max` scopes (the oldest dropped first).
 */
export function servingMemo(ttlMs = 5_000, max = 10_000): ServingMemo {
  const entries = new Map<string, { at: number; serving: ModelServing }>();
  const key = (tenantId: string, projectId: string | null) => `${tenantId}:${projectId?.toLowerCase() ?? '_'}`;
  return {
    get(tenantId, projectId) {
      const entry = entries.get(key(tenantId, projectId));
      return entry && Date.now() - entry.at < ttlMs ? entry.serving : undefined;
    },
    set(tenantId, projectId, serving) {
      const k = key(tenantId, projectId);
      entries.delete(k);
      entries.set(k, { at: Date.now(), serving });
      for (const oldest of entries.keys()) {
        if (entries.size <= max) break;
        entries.delete(oldest);
      }
    },
  };
}

/**
 * Every model a document must be embedded with: the tenant's, plus each linked project's. With
 * `serving`, the model each of these scopes still searches while a model change is under way is
 * added too, so a document processed or linked meanwhile is found before and after the switch.
 * `tenant` is first, then the models the scopes search now, then the rest (each group sorted,
 * all distinct): a document gets what search uses before what a change is rolling out.
 */
export async function requiredModels(
  tx: Tx,
  tenantId: string,
  projectIds: readonly string[],
  defaultModel: string,
  overrides: SettingsOverrides = {},
  serving?: ServingOptions,
): Promise<{ tenant: string; all: string[] }> {
  const tenant = await modelFor(tx, tenantId, null, defaultModel, overrides);
  const searched = new Set<string>();
  const wanted = new Set<string>();
  for (const scope of [null, ...projectIds]) {
    if (serving) {
      const { model, desired } = await servingModel(tx, tenantId, scope, defaultModel, serving, overrides);
      searched.add(model);
      wanted.add(desired);
    } else if (scope !== null) searched.add(await modelFor(tx, tenantId, scope, defaultModel, overrides));
  }
  const canonicalTenant = serving?.resolve?.(tenant) ?? tenant;
  const rest = (set: Set<string>, not: Set<string>) => [...set].filter((m) => m !== tenant && m !== canonicalTenant && !not.has(m)).sort();
  return { tenant, all: [tenant, ...rest(searched, new Set()), ...rest(wanted, searched)] };
}
