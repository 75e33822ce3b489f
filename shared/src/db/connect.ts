import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

/**
 * One pool per process and role. bigint columns (tenant_seq) come back as JS numbers: they stay
 * far below 2^53. A statement takes the idle connection used last (tools/dependencies/patch.mjs
 * makes postgres.js's pool do so), and a connection idle for 60 s is closed, so twenty replicas
 * that were busy once do not keep the server's connection slots forever.
 */
export function createSql(
  url: string,
  opts: {
    max?: number;
    appName?: string;
    settings?: Record<string, string>;
    /** called with every statement the pool sends (its text and parameters): for tests and benchmarks */
    onStatement?: (query: string, parameters: readonly unknown[]) => void;
  } = {},
): Sql {
  const { onStatement } = opts;
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    // settings: server settings of every connection of the pool (see DERIVED_STORE_SETTINGS)
    connection: { application_name: opts.appName ?? 'mandant', ...opts.settings },
    types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
    ...(onStatement ? { debug: (_connection: number, query: string, parameters: unknown[]) => onStatement(query, parameters) } : {}),
  });
}

/**
 * Runs `fn` in a transaction acting for one tenant. The tenant is set with
 * `set_config(..., true)`: local to this transaction, so a pooled connection never carries it
 * into the next request. Row-level security reads it on every tenant table.
 */
export async function withTenant<T>(sql: Sql, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    // fn's first statement follows it down the same connection: the tenant is set before it
    // runs and costs no round trip of its own
    return ahead(tx`select set_config('mandant.tenant_id', ${tenantId}, true)`, () => fn(tx));
  })) as T;
}

/**
 * Runs `fn` right behind `first` on the same transaction: `first` is sent at once, not waited
 * for, so fn's first statement travels with it (pipelined; no round trip of its own). Resolves
 * with fn's result; rejects with first's error when it failed (fn's statements then fail too).
 * Careful: a postgres.js query is sent only when first awaited (or `execute`d), not when
 * written; to pipeline several, use `pipeline`.
 */
export async function ahead<T>(first: postgres.PendingQuery<postgres.Row[]>, fn: () => Promise<T>): Promise<T> {
  const sent = first.execute();
  // fn is called at once (its first statement must follow `first`); a synchronous throw becomes a
  // rejection here, so `sent` is always awaited alongside
  const [, result] = await Promise.all([sent, (async () => fn())()]);
  return result;
}

/** A statement that can be sent without being awaited (a postgres.js query). */
type Sendable = { execute(): PromiseLike<unknown> };

/**
 * Sends the statements of one transaction at once, in this order (skipping nulls), and waits for
 * all of them: one round trip instead of one each. Rejects with the first error (the statements
 * after a failed one fail as well: the transaction is aborted).
 */
export function pipeline<const Q extends readonly (Sendable | null)[]>(...queries: Q): Promise<{ [K in keyof Q]: Awaited<Q[K]> }> {
  return Promise.all(queries.map(async (q) => (q ? q.execute() : null))) as Promise<{ [K in keyof Q]: Awaited<Q[K]> }>;
}

/**
 * Settings, local to a transaction, for one that only derives state the log can give again: a
 * projector's page, the relay's page. Its commit does not wait for the disk: losing the last
 * moments of it in a crash only means applying (publishing) those events again, which both
 * tolerate; the log's own commits still wait. Its reads of the log are planned for their values
 * (`readOfTheLog`). Send it first, ahead of the transaction's first statement (`ahead`).
 */
export const derivedStateSettings = (tx: Tx) => tx`select set_config('synchronous_commit', 'off', true)`;

/**
 * A read of the log (`query`, not yet sent) given a plan that walks the log's indexes whatever
 * its statistics say, sent between the settings that ask for such plans and the ones that put
 * the transaction's back, all three at once (no round trip of their own). A plan cached on a
 * pooled connection while the log was small (a fresh tenant, an empty database) could otherwise
 * walk a tenant's whole log once it is large: with sequential scans, hash and merge joins off
 * while it is planned, the read goes by the log's indexes however small the log was, so its
 * plan is made once per connection and kept (a generic plan), not planned for each page's values.
 * Planning each read afresh had cost the relay more than the reading (bench/RESULTS.md, Lag, 6
 * Dec 14:20). Only the reads: every other statement of the transaction (its writes, the
 * foreign-key checks and triggers they run) is planned as the server's settings say. The three
 * statements go down the connection together, so no other statement of the transaction lands
 * between them (the shares of a projector page send theirs side by side).
 */
export async function readOfTheLog<R extends readonly postgres.MaybeRow[]>(
  tx: Tx,
  query: postgres.PendingQuery<R>,
): Promise<postgres.RowList<R>> {
  const [, rows] = await pipeline(
    // each setting's value kept aside (local to the transaction), then the read's
    tx`select set_config('mandant.kept_plan_cache_mode', current_setting('plan_cache_mode'), true),
              set_config('mandant.kept_enable_seqscan', current_setting('enable_seqscan'), true),
              set_config('mandant.kept_enable_hashjoin', current_setting('enable_hashjoin'), true),
              set_config('mandant.kept_enable_mergejoin', current_setting('enable_mergejoin'), true),
              set_config('plan_cache_mode', 'force_generic_plan', true),
              set_config('enable_seqscan', 'off', true),
              set_config('enable_hashjoin', 'off', true),
              set_config('enable_mergejoin', 'off', true)`,
    query,
    tx`select set_config('plan_cache_mode', current_setting('mandant.kept_plan_cache_mode'), true),
              set_config('enable_seqscan', current_setting('mandant.kept_enable_seqscan'), true),
              set_config('enable_hashjoin', current_setting('mandant.kept_enable_hashjoin'), true),
              set_config('enable_mergejoin', current_setting('mandant.kept_enable_mergejoin'), true)`,
  );
  return rows;
}

/**
 * Connection settings for the pool of the embedded document stores (vectors, text and graph in
 * Postgres): state derived from the log by projectors, so their commits need not wait for the disk
 * either. A projector's page writes them on its own transaction (`inProjectorPage`); a store write
 * of its own (a repair, a projection outside a page) commits before the checkpoint that follows it
 * moves, and the server makes commits durable in log order, so a crash that loses such a write
 * loses that checkpoint too and the events are applied again. Never for a pool that writes
 * anything the log cannot give again (the data keys: see `createReadStores`).
 */
export const DERIVED_STORE_SETTINGS: Readonly<Record<string, string>> = { synchronous_commit: 'off' };

const projectorPage = new AsyncLocalStorage<{ tenantId: string; tx: Tx }>();

/**
 * Runs `fn`, a projection applying its share of a page, with `tx` as the page's transaction for
 * `tenantId`: the embedded document stores it calls for that tenant (`withStoreTenant`) write on
 * that transaction, so their rows commit with the checkpoint, or roll back with it, in one commit
 * instead of one transaction per store call.
 */
export function inProjectorPage<T>(tenantId: string, tx: Tx, fn: () => Promise<T>): Promise<T> {
  return projectorPage.run({ tenantId: tenantId.toLowerCase(), tx }, fn);
}

/**
 * `withTenant` for the embedded document stores (vectors, text and graph in the log's database):
 * called from a projector's page of the same tenant (`inProjectorPage`), `fn` runs on the page's
 * transaction; anywhere else (a search, a repair) in a transaction of its own on `sql`. Both pools
 * reach the same database: the embedded stores live beside the log by construction.
 */
export function withStoreTenant<T>(sql: Sql, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const page = projectorPage.getStore();
  if (page && page.tenantId === tenantId.toLowerCase()) return fn(page.tx);
  return withTenant(sql, tenantId, fn);
}
