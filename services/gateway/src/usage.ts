import type { ActivityIncrement, UsageIncrement } from '@mandant/contracts';

export type UsageKind = 'search' | 'chat' | 'upload' | null;

/** Sends one flush: every tenant's and day's counts, and every tenant's and minute's answers, since the last successful one. */
export type UsageSink = (increments: UsageIncrement[], minutes: ActivityIncrement[]) => Promise<void>;

export interface UsageRecorder {
  /** an admitted API call of the tenant, of a kind that is also counted on its own */
  call(tenantId: string, kind: UsageKind): void;
  /** a call refused with 429 */
  limited(tenantId: string): void;
  /** any answer the tenant got (admitted, refused or failed), by its status, for the per-minute activity */
  answered(tenantId: string, status: number): void;
  /** sends what was counted (one message for every tenant); on failure the counts stay for the next flush */
  flush(): Promise<void>;
  /** stops the timer and flushes one last time */
  stop(): Promise<void>;
}

type Counts = Omit<UsageIncrement, 'tenant_id' | 'day'>;
const zero = (): Counts => ({ api_calls: 0, search_calls: 0, chat_calls: 0, upload_calls: 0, rate_limited: 0 });
type Activity = Omit<ActivityIncrement, 'tenant_id' | 'minute'>;
const idle = (): Activity => ({ requests: 0, client_errors: 0, server_errors: 0, rate_limited: 0 });
const MINUTE_MS = 60_000;

/**
 * Usage counted in this process's memory, per tenant and UTC day (and the answers by status
 * class, per tenant and UTC minute, for the tenant's activity), and flushed every
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
  // per tenant and minute: at most the tenants answered in a flush interval's minutes, never per route or status
  let activity = new Map<string, Activity>();
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
    if (counts.size === 0 && activity.size === 0) return;
    const taken = counts;
    const takenActivity = activity;
    counts = new Map();
    activity = new Map();
    const increments = [...taken].map(([key, c]) => {
      const [tenant_id = '', day = ''] = key.split('|');
      return { tenant_id, day, ...c };
    });
    const minutes = [...takenActivity].map(([key, a]) => {
      const [tenant_id = '', minute = ''] = key.split('|');
      return { tenant_id, minute, ...a };
    });
    try {
      await opts.sink(increments, minutes);
    } catch (err) {
      for (const [key, a] of takenActivity) {
        const cur = activity.get(key) ?? idle();
        activity.set(key, {
          requests: cur.requests + a.requests,
          client_errors: cur.client_errors + a.client_errors,
          server_errors: cur.server_errors + a.server_errors,
          rate_limited: cur.rate_limited + a.rate_limited,
        });
      }
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
    answered(tenantId, status) {
      const key = `${tenantId}|${new Date(Math.floor(now() / MINUTE_MS) * MINUTE_MS).toISOString()}`;
      let a = activity.get(key);
      if (!a) {
        a = idle();
        activity.set(key, a);
      }
      a.requests += 1;
      if (status === 429) a.rate_limited += 1;
      else if (status >= 400 && status < 500) a.client_errors += 1;
      else if (status >= 500) a.server_errors += 1;
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
