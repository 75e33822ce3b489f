import type { UsageIncrement } from '@mandant/contracts';

export type UsageKind = 'search' | 'chat' | 'upload' | null;

/** Sends one flush: every tenant's and day's counts since the last successful one. */
export type UsageSink = (increments: UsageIncrement[]) => Promise<void>;

export interface UsageRecorder {
  /** an admitted API call of the tenant, of a kind that is also counted on its own */
  call(tenantId: string, kind: UsageKind): void;
  /** a call refused with 429 */
  limited(tenantId: string): void;
  /** sends what was counted (one message for every tenant); on failure the counts stay for the next flush */
  flush(): Promise<void>;
  /** stops the timer and flushes one last time */
  stop(): Promise<void>;
}

type Counts = Omit<UsageIncrement, 'tenant_id' | 'day'>;
const zero = (): Counts => ({ api_calls: 0, search_calls: 0, chat_calls: 0, upload_calls: 0, rate_limited: 0 });

/**
 * Usage counted in this process's memory, per tenant and UTC day, and flushed every
 * `intervalMs` (and at stop) as increments: no event and no row update per request. The
 * tenant service adds them with one upsert per tenant. Counters read back are exact as of each
 * gateway's last flush, so they trail the requests by at most one interval. A flush whose
 * answer is lost after it was applied is sent again (at-least-once): such a rare loss counts
 * twice rather than never.
 */
export function createUsageRecorder(opts: {
  sink: UsageSink;
  intervalMs: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}): UsageRecorder {
  const now = opts.now ?? Date.now;
  let counts = new Map<string, Counts>();
  let flushing: Promise<void> | null = null;

  const bump = (tenantId: string, add: (c: Counts) => void) => {
    const key = `${tenantId}|${new Date(now()).toISOString().slice(0, 10)}`;
    let c = counts.get(key);
    if (!c) {
      c = zero();
      counts.set(key, c);
    }
    add(c);
  };

  const flushOnce = async (): Promise<void> => {
    if (counts.size === 0) return;
    const taken = counts;
    counts = new Map();
    const increments = [...taken].map(([key, c]) => {
      const [tenant_id = '', day = ''] = key.split('|');
      return { tenant_id, day, ...c };
    });
    try {
      await opts.sink(increments);
    } catch (err) {
      // put them back: the next flush sends them with whatever was counted meanwhile
      for (const [key, c] of taken) {
        const cur = counts.get(key) ?? zero();
        counts.set(key, {
          api_calls: cur.api_calls + c.api_calls,
          search_calls: cur.search_calls + c.search_calls,
          chat_calls: cur.chat_calls + c.chat_calls,
          upload_calls: cur.upload_calls + c.upload_calls,
          rate_limited: cur.rate_limited + c.rate_limited,
        });
      }
      throw err;
    }
  };

  const flush = async (): Promise<void> => {
    while (flushing) await flushing;
    flushing = flushOnce().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  const timer = setInterval(() => {
    flush().catch((err: unknown) => opts.onError?.(err));
  }, opts.intervalMs);
  timer.unref();

  return {
    call(tenantId, kind) {
      bump(tenantId, (c) => {
        c.api_calls += 1;
        if (kind === 'search') c.search_calls += 1;
        if (kind === 'chat') c.chat_calls += 1;
        if (kind === 'upload') c.upload_calls += 1;
      });
    },
    limited(tenantId) {
      bump(tenantId, (c) => {
        c.rate_limited += 1;
      });
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
