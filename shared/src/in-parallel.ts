/**
 * Runs `fn` on every item, at most `limit` at a time: for calls that do not depend on each other
 * (a page's store calls per document, a usage flush's tenants), so their round trips overlap instead
 * of adding up. Once one fails no further item starts; rejects with the first error after the
 * started ones settled.
 */
export async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>, limit = 4): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (!failure && next < items.length) {
        const item = items[next++] as T;
        try {
          await fn(item);
        } catch (err) {
          failure ??= { err };
        }
      }
    }),
  );
  if (failure) throw failure.err;
}

/**
 * Every promise's value, once all of them settled; rejects with the first failure in the order
 * given, but only after the others settled too: for work sent side by side on one transaction
 * (a page's statements, its projections' shares), so none is still running on it when the caller
 * gives up and the transaction ends.
 */
export async function whenAllSettled<const T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
