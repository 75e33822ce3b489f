import type { Settings } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { ConfigError } from '@mandant/shared/env';
import { createHashingEmbedder, createOpenAiEmbedder, type Embedder } from '../embed/embedder.ts';

/**
 * Which embedder serves a model id, and which model a tenant or project asks for.
 *
 * Model isolation (DESIGN rule 7): a document is embedded with its tenant's model (the global
 * index) and with the model of every project it is linked to; each model gets its own artefact
 * and its own `document.embedded.v1`, so vectors of two models never meet in one index.
 */
export interface EmbedderRegistry {
  readonly defaultModel: string;
  /** the embedder for a model id, or null when this deployment cannot serve it */
  get(model: string): Embedder | null;
}

export interface EmbedderRegistryOptions {
  /** EMBEDDING_MODEL: what tenants and projects that set none use; must resolve */
  defaultModel: string;
  /** EMBEDDINGS_URL: an OpenAI-compatible API root */
  embeddingsUrl?: string | undefined;
  apiKey?: string | undefined;
  /** EMBEDDINGS_MODELS: `model` or `model:dimension`, as a comma list or an array */
  models?: string | readonly string[] | undefined;
  /** for tests of the provider path */
  fetch?: typeof fetch;
}

const HASHING = /^local-hashing-v1-([0-9]+)$/;
const MIN_HASHING_DIMENSION = 8;
const MAX_HASHING_DIMENSION = 65_536;

function parseModels(models: EmbedderRegistryOptions['models']): string[] {
  const list = typeof models === 'string' ? models.split(',') : [...(models ?? [])];
  return list.map((m) => m.trim()).filter((m) => m !== '');
}

/**
 * `local-hashing-v1-{dimension}` always resolves (no network; its `model` equals the id).
 * Each entry of `models` resolves to the OpenAI-compatible embedder at `embeddingsUrl`, under
 * the entry as written and under the embedder's own `model` string. `name:dimension` of a
 * `text-embedding-3-*` model asks the provider for shortened vectors (another vector space,
 * named `name:dimension`); for other models the dimension only states the vector length.
 *
 * @throws ConfigError when models are listed without a URL, an entry is malformed, or the
 *   default model resolves to nothing.
 */
export function createEmbedderRegistry(options: EmbedderRegistryOptions): EmbedderRegistry {
  const provider = new Map<string, Embedder>();
  const entries = parseModels(options.models);
  if (entries.length > 0 && !options.embeddingsUrl) throw new ConfigError('EMBEDDINGS_MODELS needs EMBEDDINGS_URL');
  for (const entry of entries) {
    const match = /^(.+?)(?::([0-9]+))?$/.exec(entry);
    const name = match?.[1];
    if (!match || name === undefined || !options.embeddingsUrl) throw new ConfigError(`invalid EMBEDDINGS_MODELS entry "${entry}"`);
    const dimension = match[2] === undefined ? undefined : Number(match[2]);
    const embedder = createOpenAiEmbedder({
      baseUrl: options.embeddingsUrl,
      model: name,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(dimension === undefined ? {} : { dimension, requestDimension: name.startsWith('text-embedding-3') }),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    provider.set(entry, embedder);
    provider.set(embedder.model, embedder);
  }

  const hashing = new Map<number, Embedder>();
  const get = (model: string): Embedder | null => {
    const served = provider.get(model);
    if (served) return served;
    const dim = HASHING.exec(model)?.[1];
    if (dim === undefined) return null;
    const dimension = Number(dim);
    if (dimension < MIN_HASHING_DIMENSION || dimension > MAX_HASHING_DIMENSION || String(dimension) !== dim) return null;
    let embedder = hashing.get(dimension);
    if (!embedder) {
      embedder = createHashingEmbedder({ dimension });
      hashing.set(dimension, embedder);
    }
    return embedder;
  };

  if (get(options.defaultModel) === null) throw new ConfigError(`EMBEDDING_MODEL "${options.defaultModel}" is not served here`);
  return { defaultModel: options.defaultModel, get };
}

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
  if (overrides.tenant) return embeddingModelOf(overrides.tenant) ?? defaultModel;
  const [row] = await tx<{ settings: unknown }[]>`select settings from tenants_view where tenant_id = ${tenantId}`;
  return embeddingModelOf(row?.settings) ?? defaultModel;
}

/**
 * The model a project's documents are embedded with: the project's `settings.embedding_model`,
 * else the tenant's, else `defaultModel`; `projectId: null` asks for the tenant's (global) model.
 * Reads `projects_view` / `tenants_view`; run inside `withTenant` for `tenantId`.
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
      const [row] = await tx<{ settings: unknown }[]>`select settings from projects_view where tenant_id = ${tenantId} and project_id = ${id}`;
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
