import { describe, expect, it } from 'vitest';
import { inParallel, whenAllSettled } from './in-parallel.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('inParallel', () => {
  it('calls every item once, never more than `limit` at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await inParallel(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        running += 1;
        most = Math.max(most, running);
        await tick();
        seen.push(i);
        running -= 1;
      },
      3,
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('starts nothing new after a failure and rejects with the first error once the started ones settled', async () => {
    const started: number[] = [];
    let settled = 0;
    await expect(
      inParallel(
        [0, 1, 2, 3, 4, 5],
        async (i) => {
          started.push(i);
          await tick();
          settled += 1;
          if (i === 0) throw new Error('first');
          if (i === 1) throw new Error('second');
        },
        2,
      ),
    ).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2);
  });
});

describe('whenAllSettled', () => {
  it('resolves with every value in order', async () => {
    expect(await whenAllSettled([Promise.resolve(1), tick().then(() => 'two'), 3])).toEqual([1, 'two', 3]);
  });

  it('rejects with the first failure in the order given, only once every other promise settled', async () => {
    let slowDone = false;
    const slow = (async () => {
      await tick();
      await tick();
      slowDone = true;
    })();
    const outcome = await whenAllSettled([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))]).then(
      () => 'resolved',
      (err: unknown) => (err as Error).message,
    );
    expect(outcome).toBe('first');
    expect(slowDone).toBe(true);
  });
});
