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
 * Every model a document must be embedded with: the tenant's, plus each linked project's.
 * `tenant` is first; the rest are sorted and distinct.
 */
export async function requiredModels(
  tx: Tx,
  tenantId: string,
  projectIds: readonly string[],
  defaultModel: string,
  overrides: SettingsOverrides = {},
): Promise<{ tenant: string; all: string[] }> {
  const tenant = await modelFor(tx, tenantId, null, defaultModel, overrides);
  const projects = new Set<string>();
  for (const p of projectIds) projects.add(await modelFor(tx, tenantId, p, defaultModel, overrides));
  projects.delete(tenant);
  return { tenant, all: [tenant, ...[...projects].sort()] };
}
