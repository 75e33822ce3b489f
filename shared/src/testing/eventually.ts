/**
 * How long a test waits for something asynchronous to happen (a projection to catch up, a
 * document to be processed, a process to answer) before it fails. Generous on purpose: the
 * deadline only bounds a broken run, while a passing one returns as soon as the condition holds,
 * and CI shares two cores with other work.
 */
export const SETTLE_MS = 120_000;

/**
 * Polls `check` until it returns a value other than `undefined`, `null` or `false`, and
 * resolves with it; rejects after `timeoutMs` naming `what` was awaited (and the last error
 * `check` threw, if any). A condition, never a pace: tests must not sleep a fixed time.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs: number = SETTLE_MS,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})`}`,
        { cause: last },
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
