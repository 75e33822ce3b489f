import postgres from 'postgres';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

/** One pool per process and role. bigint columns (tenant_seq) come back as JS numbers: they stay far below 2^53. */
export function createSql(url: string, opts: { max?: number; appName?: string } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: opts.appName ?? 'mandant' },
    types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
  });
}

/**
 * Runs `fn` in a transaction acting for one tenant. The tenant is set with
 * `set_config(..., true)`: local to this transaction, so a pooled connection never carries it
 * into the next request. Row-level security reads it on every tenant table.
 */
export async function withTenant<T>(sql: Sql, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    // Sent at once (execute) but not waited for: fn's first statement follows it down the same
    // connection (pipelined), so the tenant costs no extra round trip and is set before it runs.
    const config = tx`select set_config('mandant.tenant_id', ${tenantId}, true)`.execute();
    const [, result] = await Promise.all([config, fn(tx)]);
    return result;
  })) as T;
}
