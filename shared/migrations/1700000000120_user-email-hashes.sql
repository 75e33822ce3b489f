-- Up Migration
-- Personal data leaves the clear: users are registered with e-mail and name sealed
-- (user.registered.v2), so the e-mail uniqueness claim holds a hash instead of the address:
-- hex SHA-256 of '{tenant_id}:{normalised e-mail}' (services/membership/src/user/email.ts).
-- Claims made before hold the address already normalised (trimmed, lowercased by the service),
-- so they are rehashed here in the same form; sha256() is built into Postgres 11+, no pgcrypto.
UPDATE user_emails SET email = encode(sha256(convert_to(tenant_id::text || ':' || email, 'UTF8')), 'hex')
  WHERE email !~ '^[0-9a-f]{64}$';
ALTER TABLE user_emails RENAME COLUMN email TO email_hash;
ALTER TABLE user_emails ADD CONSTRAINT user_emails_email_hash_is_sha256 CHECK (email_hash ~ '^[0-9a-f]{64}$');

-- A user whose sealed e-mail and name no longer open (the tenant's key destroyed) is projected
-- with both null: erased, rather than a projector failing on the tenant's log.
ALTER TABLE users_view ALTER COLUMN email DROP NOT NULL, ALTER COLUMN name DROP NOT NULL;

-- Down Migration
-- The hashes cannot be turned back into addresses: the column keeps them under its old name.
UPDATE users_view SET email = coalesce(email, ''), name = coalesce(name, '') WHERE email IS NULL OR name IS NULL;
ALTER TABLE users_view ALTER COLUMN email SET NOT NULL, ALTER COLUMN name SET NOT NULL;
ALTER TABLE user_emails DROP CONSTRAINT IF EXISTS user_emails_email_hash_is_sha256;
ALTER TABLE user_emails RENAME COLUMN email_hash TO email;
