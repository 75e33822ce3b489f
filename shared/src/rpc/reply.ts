import { type RpcReply, type RpcRequest, findUnstorable } from '@mandant/contracts';
import { ZodError } from 'zod';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** A handler's outcome as a reply: a DomainError and a validation error as themselves, anything else as `internal` (logged). */
export function toReply(err: unknown, log: Logger, pattern: string): RpcReply<never> {
  if (err instanceof DomainError) return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') ?? '';
    return {
      ok: false,
      error: {
        code: 'validation.failed',
        message: field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid input'),
        details: { issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      },
    };
  }
  log.error({ err, pattern }, 'handler failed');
  return { ok: false, error: { code: 'internal', message: 'internal error', details: {} } };
}

/**
 * Every request is held to the contracts' storable-input rule before any handler runs (no
 * U+0000 or lone surrogate in any string or key, bounded depth): the gateway checks it too,
 * but it is not the services' only caller.
 */
export function refuseUnstorable(req: RpcRequest): void {
  const issue = findUnstorable(req.input) ?? findUnstorable({ principal: req.principal, meta: req.meta });
  if (issue) throw new DomainError('validation.failed', `${issue.path}: ${issue.message}`, { issues: [issue] });
}
