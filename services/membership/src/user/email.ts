import { createHash } from 'node:crypto';

/** E-mails are compared, claimed and hashed in this form (trimmed, lowercased). */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * What the tenant's uniqueness claim (`user_emails.email_hash`) and `user.registered.v2` hold
 * instead of the address: hex SHA-256 of `{tenant_id}:{normalised e-mail}`. Migration
 * 1700000000120 rehashed the claims made before in the same form. Known limit: not keyed by a
 * secret, so whoever holds the log and guesses an address can confirm the guess.
 */
export function emailHash(tenantId: string, email: string): string {
  return createHash('sha256')
    .update(`${tenantId.toLowerCase()}:${normaliseEmail(email)}`, 'utf8')
    .digest('hex');
}
