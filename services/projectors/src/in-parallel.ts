/**
 * Runs `fn` on every item, at most `limit` at a time, for store calls of one page that do not
 * depend on each other (one per document): their round trips overlap instead of adding up. Once
 * one fails no further item starts; rejects with the first error after the started ones settled.
 */
export async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>, limit = 4): Promise<void> {
  const queue = [...items];
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && !failure; item = queue.shift()) {
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
  if (failure) throw failure.err;
}
