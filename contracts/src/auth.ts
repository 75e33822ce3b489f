import { z } from 'zod';
import { Id, Name } from './common.ts';

/**
 * Messages of authentication by JWT, kept apart from the use cases in api.ts: no HTTP route
 * forwards to them, only the gateway's authenticator sends them.
 */
export const authRpc = {
  /** tenant service: is the token's tenant live, and is its `sub` a user of it? */
  authJwt: 'auth.jwt',
  /** membership service: register the principal's own user from the token's claims (opt-in) */
  userRegisterFromToken: 'user.register_from_token',
} as const;

/** A verified token's tenant and subject. */
export const AuthJwtInput = z.strictObject({ tenant_id: Id, user_id: Id });
/**
 * The answer for a live tenant (a tenant never provisioned, or offboarded, is refused with
 * `unauthenticated`): whether the subject is a registered user of it.
 */
export const AuthJwtReply = z.object({ user_registered: z.boolean() });
export type AuthJwtReply = z.infer<typeof AuthJwtReply>;

/** The standard `email` and `name` claims of the token whose subject registers itself. */
export const RegisterFromTokenInput = z.strictObject({ email: z.email().max(320), name: Name });
