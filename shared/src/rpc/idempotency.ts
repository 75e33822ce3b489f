import { randomUUID } from 'node:crypto';
import type { IdempotencyMeta, RpcReply, RpcRequest } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '../db/connect.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { openReply, sealReply } from './idempotency-seal.ts';

/**
 * Requests carrying an idempotency key (`meta.idempotency`, set by the gateway from the
 * `Idempotency-Key` header) run at most once per key, whichever replica serves the retry:
 *
 * - the first claims the key in `idempotent_requests` (one statement) and runs; its answer, or
 *   its refusal, is stored sealed (one more statement); an unexpected failure drops the claim,
 *   so a retry runs again;
 * - a retry with the same request is answered the stored reply, marked `replayed`, without
 *   running; with another request (fingerprint) it is refused (`idempotency.key_reused`);
 * - a retry while the first still runs (its lease is live) is refused `idempotency.in_progress`;
 * - a claim whose lease lapsed lost its executor (killed). If the log holds events carrying the
 *   request's correlation id, the request was applied and only its answer is lost:
 *   `idempotency.reply_lost`. Otherwise the retry takes the claim over and runs.
 *
 * Known limit: a handler still running after its lease lapsed (longer than the lease, which is
 * longer than the RPC timeout) may be run a second time by a retry that finds no event yet.
 * Claims live 24 h; expired ones of a tenant are purged on that tenant's next claim.
 */
export interface IdempotencyOptions {
  /** how long a running claim holds off retries; longer than any RPC timeout (15 s). Default 20 s */
  leaseMs?: number;
  /** how long a key is remembered. Default 24 h */
  ttlMs?: number;
}

export const DEFAULT_IDEMPOTENCY_LEASE_MS = 20_000;
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** Operator requests (tenant provisioning) act for no tenant: their claims live under this one. */
export const OPERATOR_TENANT = '00000000-0000-0000-0000-000000000000';

/** The correlation id of every event an idempotent request appends: derived from its key, so a retry carries it too. */
export const idempotentCorrelationId = (key: string): string => `idem-${key.slice(0, 32)}`;

/** Whether a request was sent with an Idempotency-Key (the gateway reserves the `idem-` correlation ids for them). */
export const isIdempotentRequest = (ctx: { meta: { correlation_id: string } }): boolean => ctx.meta.correlation_id.startsWith('idem-');

/**
 * Refusals stored for a retry to get again. Not these: a conflict with a concurrent change, a
 * dependency that did not answer and an internal failure say nothing about the retry's outcome.
 */
const NOT_STORED = new Set(['internal', 'unavailable', 'version.conflict']);

interface Found {
  outcome: 'claimed' | 'found';
  fingerprint: string | null;
  state: string | null;
  lapsed: boolean | null;
  reply: Uint8Array | null;
}

export interface Idempotency {
  /** Runs `exec` once for the request's key, or answers what the first run answered. */
  serve(pattern: string, req: RpcRequest & { meta: { idempotency: IdempotencyMeta } }, exec: () => Promise<RpcReply>): Promise<RpcReply>;
}

const unavailable =
  (log: Logger) =>
  (err: unknown): never => {
    log.warn({ err }, 'idempotency store unavailable');
    throw new DomainError('unavailable', 'the idempotency store did not answer; retry later');
  };

export function createIdempotency(sql: Sql, log: Logger, opts: IdempotencyOptions = {}): Idempotency {
  const leaseSecs = (opts.leaseMs ?? DEFAULT_IDEMPOTENCY_LEASE_MS) / 1000;
  const ttlSecs = (opts.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS) / 1000;

  /** One statement: purge the tenant's expired claims, claim the key (or recycle its expired claim), else read the claim there is. */
  const claim = (tx: Tx, tenantId: string, id: IdempotencyMeta, pattern: string, token: string) => tx<Found[]>`
    with purged as (
      delete from idempotent_requests where tenant_id = ${tenantId} and expires_at < now() and key <> ${id.key}
    ), claimed as (
      insert into idempotent_requests as r (tenant_id, key, fingerprint, pattern, state, claim, lease_until, expires_at)
      values (${tenantId}, ${id.key}, ${id.fingerprint}, ${pattern}, 'running', ${token}, now() + make_interval(secs => ${leaseSecs}), now() + make_interval(secs => ${ttlSecs}))
      on conflict (tenant_id, key) do update set fingerprint = excluded.fingerprint, pattern = excluded.pattern, state = 'running', claim = excluded.claim,
        lease_until = excluded.lease_until, reply = null, created_at = now(), expires_at = excluded.expires_at
        where r.expires_at < now()
      returning 1
    )
    select 'claimed' as outcome, null as fingerprint, null as state, null::boolean as lapsed, null::bytea as reply from claimed
    union all
    select 'found', fingerprint, state, lease_until < now(), reply from idempotent_requests
     where tenant_id = ${tenantId} and key = ${id.key} and expires_at >= now() and not exists (select 1 from claimed)`;

  /** One statement: was the lapsed claim's request applied? If not, take the claim over (only one retry wins). */
  const takeOver = (tx: Tx, tenantId: string, id: IdempotencyMeta, correlationId: string, token: string) => {
    const applied =
      tenantId === OPERATOR_TENANT
        ? tx`mandant_idempotent_request_applied(${correlationId})`
        : tx`exists (select 1 from events where correlation_id = ${correlationId} and correlation_id like 'idem-%')`;
    return tx<{ applied: boolean; taken: boolean }[]>`
      with applied as (select ${applied} as yes),
      taken as (
        update idempotent_requests set claim = ${token}, lease_until = now() + make_interval(secs => ${leaseSecs})
         where tenant_id = ${tenantId} and key = ${id.key} and fingerprint = ${id.fingerprint} and state = 'running'
           and lease_until < now() and not (select yes from applied)
        returning 1
      )
      select (select yes from applied) as applied, exists (select 1 from taken) as taken`;
  };

  const finish = async (tenantId: string, id: IdempotencyMeta, token: string, reply: RpcReply, l: Logger) => {
    const keep = reply.ok || !NOT_STORED.has(reply.error.code);
    try {
      await withTenant(sql, tenantId, (tx) =>
        keep
          ? tx`update idempotent_requests set state = 'done', reply = ${sealReply(id.seal, tenantId, id.key, reply)}, lease_until = null
              where tenant_id = ${tenantId} and key = ${id.key} and claim = ${token}`
          : tx`delete from idempotent_requests where tenant_id = ${tenantId} and key = ${id.key} and claim = ${token}`,
      );
    } catch (err) {
      // the caller still gets its answer; a retry finds the claim lapsed and checks the log
      l.warn({ err }, 'idempotent request answered but its claim could not be settled');
    }
  };

  return {
    async serve(pattern, req, exec) {
      const id = req.meta.idempotency;
      const tenantId = req.principal?.tenant_id.toLowerCase() ?? (req.operator ? OPERATOR_TENANT : null);
      // a request for no tenant and not the operator's (credential checks) has nothing to claim under
      if (!tenantId) return exec();
      const l = log.child({ tenant_id: tenantId, correlation_id: req.meta.correlation_id, pattern });
      const token = randomUUID();
      const [found] = await withTenant(sql, tenantId, (tx) => claim(tx, tenantId, id, pattern, token)).catch(unavailable(l));
      const run = async () => {
        const reply = await exec();
        await finish(tenantId, id, token, reply, l);
        return reply;
      };
      // no row: another claim committed between this statement's snapshot and its insert
      if (!found) throw inProgress();
      if (found.outcome === 'claimed') return run();
      if (found.fingerprint !== id.fingerprint) {
        throw new DomainError(
          'idempotency.key_reused',
          'this Idempotency-Key was already used for a different request: use a new key for a new request',
        );
      }
      if (found.state === 'done' && found.reply) return { ...openReply(id.seal, tenantId, id.key, found.reply), replayed: true };
      if (!found.lapsed) throw inProgress();
      const [outcome] = await withTenant(sql, tenantId, (tx) => takeOver(tx, tenantId, id, req.meta.correlation_id, token)).catch(
        unavailable(l),
      );
      if (outcome?.applied) {
        l.warn('idempotent request applied by an executor that died before answering: its reply is lost');
        throw new DomainError(
          'idempotency.reply_lost',
          'the request with this Idempotency-Key WAS applied, but its answer was lost: look the result up instead of retrying',
          { correlation_id: req.meta.correlation_id },
        );
      }
      if (!outcome?.taken) throw inProgress();
      l.info('idempotent request taken over from an executor whose lease lapsed');
      return run();
    },
  };
}

const inProgress = () =>
  new DomainError('idempotency.in_progress', 'a request with this Idempotency-Key is still being served: retry shortly');
