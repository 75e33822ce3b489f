import type { Sql } from '../db/connect.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { Logger } from '../log.ts';
import type { Projection } from '../projection/projector.ts';
import type { RpcHandler } from '../rpc/rpc.ts';
import type { Clock } from './command.ts';
import type { ViewsWait } from './views.ts';

export interface ServiceDeps {
  sql: Sql;
  store: EventStore;
  clock: Clock;
  log: Logger;
  /** read-your-writes: what a write awaits before it answers (built by the composition) */
  waitForViews: ViewsWait;
}

/** What a service contributes to a process: its message patterns and the read models it keeps. */
export interface Service {
  name: string;
  handlers: Record<string, RpcHandler>;
  projections: Projection[];
}
