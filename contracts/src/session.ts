import { z } from 'zod';
import { Timestamp } from './common.ts';
import { Principal } from './rpc.ts';

/**
 * The console's sign-in: a credential exchanged for an HttpOnly session cookie at the gateway.
 * The gateway answers these itself (no service holds sessions): the cookie carries the sealed
 * credential, which is authenticated again on every request.
 */

/** Longest credential taken: the sealed cookie must stay under the 4 KB browsers keep. */
export const SESSION_CREDENTIAL_MAX = 2048;

/** POST /session: an API key (`mnd_…`) or a JWT, exactly what `Authorization: Bearer` would carry. */
export const SessionInput = z.strictObject({
  credential: z
    .string()
    .min(1)
    .max(SESSION_CREDENTIAL_MAX)
    .regex(/^[\x21-\x7E]+$/, 'visible ASCII characters only')
    .describe('a tenant API key (mnd_…) or a JWT; the operator token is refused'),
});
export type SessionInput = z.infer<typeof SessionInput>;

/** Who the console acts as, and what its writes must echo. */
export const Session = z
  .object({
    principal: Principal,
    csrf_token: z
      .string()
      .nullable()
      .describe(
        'send it as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE authenticated by the cookie; null without a cookie session',
      ),
    single_tenant: z.boolean().describe('single-tenant mode: no sign-in, every request acts as the default tenant admin'),
    expires_at: Timestamp.nullable().describe('when the cookie session ends (12 hours after sign-in); null without one'),
  })
  .meta({
    examples: [
      {
        principal: {
          tenant_id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f',
          user_id: null,
          tenant_role: 'tenant_admin',
          actor: 'api_key:0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e70',
        },
        csrf_token: 'k3Jq0vQm7yR1xS9dW2eT5uZ8aB4cF6gH1iJ0kL3mN7o',
        single_tenant: false,
        expires_at: '2026-12-02T21:00:00.000Z',
      },
    ],
  });
export type Session = z.infer<typeof Session>;
