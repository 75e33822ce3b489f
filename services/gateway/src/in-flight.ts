/**
 * Counts what each tenant holds open in this gateway process (uploads being read, status streams
 * being polled) and refuses past a bound, so one tenant cannot take the process's memory or its
 * polling for itself. Per process, not per platform: each replica protects itself.
 */
export interface InFlight {
  /**
   * Takes a place for the tenant: the function that gives it back, or why there is none
   * (`tenant`: this tenant holds its bound; `process`: every tenant together hold the process's).
   */
  acquire(tenantId: string): (() => void) | 'tenant' | 'process';
}

export function inFlightLimiter(maxPerTenant: number, maxTotal = Number.POSITIVE_INFINITY): InFlight {
  const held = new Map<string, number>();
  let total = 0;
  return {
    acquire(tenantId) {
      const mine = held.get(tenantId) ?? 0;
      if (mine >= maxPerTenant) return 'tenant';
      if (total >= maxTotal) return 'process';
      held.set(tenantId, mine + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (held.get(tenantId) ?? 1) - 1;
        if (left > 0) held.set(tenantId, left);
        else held.delete(tenantId);
      };
    },
  };
}
