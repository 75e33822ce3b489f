/**
 * Watches every projector's checkpoints by polling `projection_checkpoints` as the database owner
 * (one small query across tenants, RLS bypassed), and remembers when each (projector, tenant)
 * position was first seen. A checkpoint moves in the same transaction as its read model, so the
 * first poll that shows a position is when a reader can see everything up to it, late by at most
 * one poll interval plus the query.
 */
import { performance } from 'node:perf_hooks';
import type { Sql } from '@mandant/shared/db';

export class CheckpointWatch {
  /** `${projector} ${tenant}` → positions seen (increasing) and the time each was first seen */
  private readonly seen = new Map<string, { positions: number[]; times: number[] }>();
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly intervals: number[] = [];
  polls = 0;

  constructor(
    private readonly sql: Sql,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let last = performance.now();
      while (this.running) {
        // a failed poll only makes the next one later (and the figures later by as much)
        await this.poll().catch(() => {});
        const now = performance.now();
        this.intervals.push(now - last);
        last = now;
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    })();
  }

  async poll(): Promise<void> {
    const rows = await this.sql<{ tenant_id: string; projector: string; position: number }[]>`
      select tenant_id::text as tenant_id, projector, position from projection_checkpoints`;
    const now = performance.now();
    this.polls += 1;
    for (const r of rows) {
      const key = `${r.projector} ${r.tenant_id}`;
      let s = this.seen.get(key);
      if (!s) this.seen.set(key, (s = { positions: [], times: [] }));
      const prev = s.positions.at(-1) ?? -1;
      if (r.position > prev) {
        s.positions.push(r.position);
        s.times.push(now);
      }
    }
  }

  /** When the projector was first seen at or past `seq` for the tenant, or undefined. */
  reachedAt(projector: string, tenantId: string, seq: number): number | undefined {
    const s = this.seen.get(`${projector} ${tenantId}`);
    if (!s) return undefined;
    let lo = 0;
    let hi = s.positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((s.positions[mid] ?? -1) >= seq) hi = mid;
      else lo = mid + 1;
    }
    return s.times[lo];
  }

  /** Resolves true once every projector is at or past every tenant's head, false after `timeoutMs`. */
  async until(projectors: string[], heads: Map<string, number>, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const done = projectors.every((p) => [...heads].every(([t, h]) => this.reachedAt(p, t, h) !== undefined));
      if (done) return true;
      if (performance.now() > end) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  medianIntervalMs(): number {
    const s = [...this.intervals].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] ?? Number.NaN;
  }

  stop(): void {
    this.running = false;
  }

  async stopped(): Promise<void> {
    await this.loop;
  }
}
