import { RpcError, type RpcReply } from '@mandant/contracts';
import { z } from 'zod';

const replayed = { replayed: z.boolean().optional() };
const Reply = z.union([
  z.object({ ok: z.literal(true), value: z.unknown(), ...replayed }),
  z.object({ ok: z.literal(false), error: RpcError, ...replayed }),
]);

export class MalformedReplyError extends Error {
  override readonly name = 'MalformedReplyError';
}

/**
 * Checks that what came back over the transport is an RpcReply at all. Anything else is a
 * wiring fault (e.g. a subject that something other than the owning service answers) and
 * becomes a 500 with the reply's start in the log, rather than a confusing TypeError.
 */
export function checkedReply(pattern: string, reply: unknown): RpcReply<unknown> {
  const parsed = Reply.safeParse(reply);
  if (parsed.success) return parsed.data;
  throw new MalformedReplyError(`malformed reply to ${pattern}: ${JSON.stringify(reply)?.slice(0, 200)}`);
}
