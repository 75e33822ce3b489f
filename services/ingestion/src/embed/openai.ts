import { ConfigError } from '@mandant/shared/env';
import type { Embedder } from './embedder.ts';

/**
 * An OpenAI-compatible `POST {baseUrl}/embeddings` client (OpenAI, Azure-style gateways,
 * vLLM, Ollama, LiteLLM, text-embeddings-inference …). Inputs go in batches of at most 64,
 * one batch at a time so a tenant's backfill cannot flood the provider. 429, 408, 5xx,
 * timeouts and network errors are retried with exponential backoff (honouring
 * `Retry-After`); other 4xx fail at once. Every failure is an `EmbeddingProviderError`
 * whose `cause` is the underlying error and whose message never contains the API key.
 */
export interface OpenAiEmbedderOptions {
  /** the API root including its version, e.g. `https://api.openai.com/v1` */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** expected vector length; required unless the model is a known OpenAI model */
  dimension?: number;
  /** see `Embedder.minSimilarity` */
  minSimilarity?: number;
  /** also send `dimensions` (text-embedding-3 models shorten their vectors to it) */
  requestDimension?: boolean;
  fetch?: typeof fetch;
  /** at most 64 */
  batchSize?: number;
  /** retries after the first attempt, per batch */
  maxRetries?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class EmbeddingProviderError extends Error {
  override readonly name = 'EmbeddingProviderError';
  constructor(
    message: string,
    readonly details: { status?: number; retryable: boolean; attempts?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
const MAX_BATCH = 64;

const defaultSleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** `Retry-After` as milliseconds (delta-seconds or HTTP date), or undefined. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function parseVectors(body: unknown, expected: number, dimension: number): number[][] {
  const data = typeof body === 'object' && body !== null && 'data' in body ? body.data : undefined;
  if (!Array.isArray(data) || data.length !== expected) {
    throw new EmbeddingProviderError(`expected ${expected} embeddings in "data"`, { retryable: false });
  }
  const vectors: number[][] = new Array<number[]>(expected);
  data.forEach((item: unknown, position) => {
    const record = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const index = typeof record['index'] === 'number' ? record['index'] : position;
    const embedding = record['embedding'];
    if (!Array.isArray(embedding) || !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new EmbeddingProviderError('an embedding is not an array of numbers', { retryable: false });
    }
    if (embedding.length !== dimension) {
      throw new EmbeddingProviderError(`embedding has dimension ${embedding.length}, configured ${dimension}`, {
        retryable: false,
      });
    }
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index] !== undefined) {
      throw new EmbeddingProviderError(`embedding index ${index} is out of range or repeated`, { retryable: false });
    }
    vectors[index] = embedding as number[];
  });
  return vectors;
}

function resolveDimension(options: OpenAiEmbedderOptions): number {
  const dimension = options.dimension ?? KNOWN_DIMENSIONS[options.model];
  if (dimension === undefined || !Number.isInteger(dimension) || dimension < 1) {
    throw new ConfigError(`embedding dimension is required for model "${options.model}"`);
  }
  return dimension;
}

export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const dimension = resolveDimension(options);
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? MAX_BATCH));
  const maxRetries = options.maxRetries ?? 4;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 20_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers['authorization'] = `Bearer ${options.apiKey}`;

  /** One attempt: vectors, or an EmbeddingProviderError saying whether a retry may help. */
  async function attempt(input: string[]): Promise<{ vectors: number[][] } | { error: EmbeddingProviderError; waitMs?: number }> {
    const body = { model: options.model, input, ...(options.requestDimension === true ? { dimensions: dimension } : {}) };
    let response: Response;
    try {
      response = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      return { error: new EmbeddingProviderError(`embedding request to ${url} failed`, { retryable: true }, { cause }) };
    }
    if (!response.ok) {
      const excerpt = (await response.text().catch(() => '')).slice(0, 300);
      const retryable = isRetryableStatus(response.status);
      const error = new EmbeddingProviderError(
        `embedding provider answered ${response.status}`,
        { status: response.status, retryable },
        { cause: new Error(excerpt) },
      );
      return { error, ...(retryable ? { waitMs: retryAfterMs(response.headers.get('retry-after'), Date.now()) } : {}) };
    }
    try {
      return { vectors: parseVectors(await response.json(), input.length, dimension) };
    } catch (cause) {
      if (cause instanceof EmbeddingProviderError) return { error: cause };
      return { error: new EmbeddingProviderError('embedding response is not JSON', { retryable: false }, { cause }) };
    }
  }

  async function embedBatch(input: string[]): Promise<number[][]> {
    for (let tries = 0; ; tries++) {
      const result = await attempt(input);
      if ('vectors' in result) return result.vectors;
      const { error } = result;
      if (!error.details.retryable || tries >= maxRetries) {
        throw new EmbeddingProviderError(
          `${error.message} (after ${tries + 1} attempt${tries === 0 ? '' : 's'})`,
          { ...error.details, attempts: tries + 1 },
          { cause: error },
        );
      }
      await sleep(Math.min(maxRetryDelayMs, result.waitMs ?? retryBaseMs * 2 ** tries));
    }
  }

  return {
    // a shortened text-embedding-3 vector is another vector space than the full one
    model: options.requestDimension === true ? `${options.model}:${dimension}` : options.model,
    dimension,
    // OpenAI's embeddings put unrelated English text at about 0.1 to 0.2
    minSimilarity: options.minSimilarity ?? 0.25,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) vectors.push(...(await embedBatch(texts.slice(i, i + batchSize))));
      return vectors;
    },
  };
}
