import { ConfigError } from '@mandant/shared/env';
import { createHashingEmbedder, createOpenAiEmbedder, type Embedder } from '../embed/embedder.ts';

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
