import { z } from 'zod';
import { Id, TenantRole } from './common.ts';

/** Who is calling, as the gateway authenticated them. Services authorise from this alone. */
export const Principal = z.object({
  tenant_id: Id,
  /** the user the credential acts as; null for a tenant-level key (tenant admin / auditor) */
  user_id: Id.nullable(),
  tenant_role: TenantRole,
  /** `user:{id}` or `api_key:{id}`: recorded as the actor of every event */
  actor: z.string(),
});
export type Principal = z.infer<typeof Principal>;

/**
 * What the gateway derives from an `Idempotency-Key` header (never the key itself): `key` finds
 * the claim, `fingerprint` tells the same request from another one sent with the same key, and
 * `seal` is the AES-256 key the stored reply is sealed with. `seal` is derived from the caller's
 * key and never stored, so a replayed reply opens only for a request that carries the key again.
 */
export const IdempotencyMeta = z.object({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  seal: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
export type IdempotencyMeta = z.infer<typeof IdempotencyMeta>;

export const RequestMeta = z.object({
  correlation_id: z.string().min(1).max(200),
  traceparent: z.string().max(200).nullable(),
  /** present when the caller sent an `Idempotency-Key`: the serving side replays instead of running twice */
  idempotency: IdempotencyMeta.optional(),
});
export type RequestMeta = z.infer<typeof RequestMeta>;

/** Every NATS request a service receives: the caller, tracing, and the use case's own input. */
export const RpcRequest = z.object({
  principal: Principal.nullable(),
  operator: z.boolean().default(false),
  meta: RequestMeta,
  input: z.unknown(),
});
export type RpcRequest = z.infer<typeof RpcRequest>;

export const RpcError = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).default({}) });
export type RpcError = z.infer<typeof RpcError>;
/** `replayed`: the answer stored for an earlier request with the same idempotency key, not a new run. */
export type RpcReply<T = unknown> = ({ ok: true; value: T } | { ok: false; error: RpcError }) & { replayed?: boolean };
