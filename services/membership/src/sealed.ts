import { ProfileSecret, UserSecret, streams } from '@mandant/contracts';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { openJson, sealJson } from '@mandant/shared/stores/crypto';
import type { StoredProfile } from './membership/membership.ts';

/**
 * The personal data of membership events, sealed under the tenant's data key. A user's secret is
 * bound to the user id, a profile to its membership stream, so neither opens when copied into
 * another stream. Opening answers null once the tenant's key is destroyed (offboarding): the
 * data is erased, and readers show it so instead of failing.
 */
export const sealUser = (keyring: Keyring, tenantId: string, userId: string, secret: UserSecret): Promise<string> =>
  sealJson(keyring, tenantId, userId, UserSecret.parse(secret));

export const openUser = (keyring: Keyring, tenantId: string, userId: string, sealed: string): Promise<UserSecret | null> =>
  erasedAsNull(openJson(keyring, tenantId, userId, sealed), (v) => UserSecret.parse(v));

export const sealProfile = (
  keyring: Keyring,
  tenantId: string,
  projectId: string,
  userId: string,
  profile: ProfileSecret,
): Promise<string> => sealJson(keyring, tenantId, streams.membership(projectId, userId), ProfileSecret.parse(profile));

/** The member's profile as the stream holds it: clear (v1 events) or sealed (v2); null when erased. */
export async function openProfile(
  keyring: Keyring,
  tenantId: string,
  projectId: string,
  userId: string,
  stored: StoredProfile,
): Promise<ProfileSecret | null> {
  if (stored.kind === 'clear') return { display_name: stored.display_name, preferences: stored.preferences };
  return erasedAsNull(openJson(keyring, tenantId, streams.membership(projectId, userId), stored.sealed), (v) => ProfileSecret.parse(v));
}

async function erasedAsNull<T>(opening: Promise<unknown>, parse: (v: unknown) => T): Promise<T | null> {
  try {
    return parse(await opening);
  } catch (err) {
    // by name, as services/documents does: the error may come from another copy of the module
    if ((err as Error).name === 'DataKeyDestroyedError') return null;
    throw err;
  }
}
