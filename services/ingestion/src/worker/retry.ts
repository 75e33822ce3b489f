import type { Embedder } from '../embed/embedder.ts';

/**
 * The embedder failed (provider error, network, timeout): says nothing about the document, so
 * the work is retried, and only after the attempts run out is it given up on.
 */
export class EmbedderUnavailableError extends Error {
  override readonly name = 'EmbedderUnavailableError';
  constructor(
    readonly model: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    const detail = options.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : String(options.cause);
    super(`embedding model ${model} unavailable after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`, options);
  }
}

/** Marks every failure of `embed` as the embedder's, whatever the adapter threw. */
class EmbedCallFailed extends Error {
  override readonly name = 'EmbedCallFailed';
}

export function tagEmbedderFailures(inner: Embedder): Embedder {
  return {
    ...inner,
    embed: (texts, purpose) =>
      inner.embed(texts, purpose).catch((cause: unknown) => {
        throw new EmbedCallFailed('embed failed', { cause });
      }),
  };
}

export interface RetryPolicy {
  maxAttempts: number;
  /** delay before the 2nd attempt; doubles per attempt, capped at 30 s */
  baseMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Runs `fn` with an embedder whose failures are tagged; retries those (and only those) with
 * backoff. Throws `EmbedderUnavailableError` after `maxAttempts`; anything else at once.
 */
export async function withEmbedderRetry<T>(
  embedder: Embedder,
  policy: RetryPolicy,
  fn: (embedder: Embedder) => Promise<T>,
  onRetry?: (attempt: number, err: unknown) => void,
): Promise<T> {
  const tagged = tagEmbedderFailures(embedder);
  const sleep = policy.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(tagged);
    } catch (err) {
      if (!(err instanceof EmbedCallFailed)) throw err;
      if (attempt >= policy.maxAttempts) throw new EmbedderUnavailableError(embedder.model, attempt, { cause: err.cause });
      onRetry?.(attempt, err.cause);
      await sleep(Math.min(30_000, policy.baseMs * 2 ** (attempt - 1)));
    }
  }
}
