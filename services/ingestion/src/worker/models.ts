import { ConfigError } from '@mandant/shared/env';
import { createHashingEmbedder, createOpenAiEmbedder, type Embedder } from '../embed/embedder.ts';
import { PREFERRED_LOCAL_MODEL, defaultModelsDir, isInstalled, localModel } from '../embed/local-models.ts';
import { createOnnxEmbedder } from '../embed/onnx.ts';

/**
 * Which embedder serves a model id. Which model a tenant or project asks for is the project
 * context's `modelFor` / `requiredModels`: each model gets its own artefact and its own
 * `document.embedded.v1`, so vectors of two models never meet in one index.
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
  /** MODELS_DIR: where local models are installed (default `.models` at the repository root) */
  modelsDir?: string | undefined;
  /** threads and batch size of local models' inference (see `OnnxEmbedderOptions`) */
  local?: { threads?: number; batchSize?: number };
  /** for tests of the provider path */
  fetch?: typeof fetch;
}

/** The hashing model: what runs when no real model is installed, and what tests use for speed. */
export const HASHING_MODEL = 'local-hashing-v1-384';

/** What `EMBEDDING_MODEL=auto` became, and why when it is not a real model. */
export interface DefaultModelChoice {
  model: string;
  /** true when a real model was wanted but the hashing model serves instead (lexical only, not semantic) */
  degraded: boolean;
  reason?: string;
}

/**
 * `auto`: the preferred local model (all-minilm-l6-v2-q) when it is installed in `modelsDir`,
 * else the hashing model, degraded, with the reason. Any other value is taken as it is.
 */
export function chooseDefaultModel(requested: string, modelsDir: string = defaultModelsDir()): DefaultModelChoice {
  if (requested !== 'auto') return { model: requested, degraded: false };
  if (isInstalled(modelsDir, PREFERRED_LOCAL_MODEL)) return { model: PREFERRED_LOCAL_MODEL, degraded: false };
  return {
    model: HASHING_MODEL,
    degraded: true,
    reason: `${PREFERRED_LOCAL_MODEL} is not installed in ${modelsDir} (install it with tools/models/fetch.ts, which needs Maven); semantic search falls back to word and trigram hashing`,
  };
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
 * A local model (`all-minilm-l6-v2-q`, `e5-small-v2-q`, `bge-small-en-v1.5-q`) resolves when it
 * is installed in `modelsDir`, to one embedder per registry (its ONNX session is loaded on first
 * use and shared by every caller); its `model` equals the id.
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

  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const local = new Map<string, Embedder>();
  const localEmbedder = (id: string): Embedder | null => {
    const spec = localModel(id);
    if (!spec || !isInstalled(modelsDir, id)) return null;
    let embedder = local.get(id);
    if (!embedder) {
      embedder = createOnnxEmbedder({ model: spec, modelsDir, ...options.local });
      local.set(id, embedder);
    }
    return embedder;
  };

  const hashing = new Map<number, Embedder>();
  const get = (model: string): Embedder | null => {
    const served = provider.get(model) ?? localEmbedder(model);
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

  if (get(options.defaultModel) === null) {
    const hint = localModel(options.defaultModel) ? ` (not installed in ${modelsDir})` : '';
    throw new ConfigError(`EMBEDDING_MODEL "${options.defaultModel}" is not served here${hint}`);
  }
  return { defaultModel: options.defaultModel, get };
}
