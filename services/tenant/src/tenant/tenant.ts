import type { Settings, TenantEvent, TenantRole } from '@mandant/contracts';

export interface ApiKeyState {
  name: string;
  user_id: string | null;
  role: TenantRole | null;
  prefix: string;
  secret_hash: string;
  revoked: boolean;
}

export interface TenantState {
  status: 'none' | 'active';
  name: string;
  slug: string;
  settings: Settings;
  /** every key ever issued, by key_id; revoked keys stay so their ids are never reused */
  apiKeys: Record<string, ApiKeyState>;
}

export const initialTenantState = (): TenantState => ({ status: 'none', name: '', slug: '', settings: {}, apiKeys: {} });

export function evolveTenant(state: TenantState, event: TenantEvent): TenantState {
  switch (event.type) {
    case 'tenant.provisioned.v1':
      return { ...state, status: 'active', name: event.data.name, slug: event.data.slug, settings: event.data.settings };
    case 'tenant.settings_changed.v1':
      return { ...state, settings: event.data.settings };
    case 'api_key.issued.v1': {
      const { key_id, ...key } = event.data;
      return { ...state, apiKeys: { ...state.apiKeys, [key_id]: { ...key, revoked: false } } };
    }
    case 'api_key.revoked.v1': {
      const key = state.apiKeys[event.data.key_id];
      if (!key) return state;
      return { ...state, apiKeys: { ...state.apiKeys, [event.data.key_id]: { ...key, revoked: true } } };
    }
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown tenant event ${(unknown as { type: string }).type}`);
    }
  }
}

/**
 * Applies a settings patch the way `PATCH …/settings` promises: a shallow merge where a key set
 * to `null` is removed (as in JSON Merge Patch, RFC 7386, but one level deep only). `undefined`
 * cannot arrive through JSON and is ignored. Built through a Map so that a `__proto__` key is an
 * ordinary key and never touches the prototype.
 *
 * Also used by the project decider.
 */
export function mergeSettings(current: Settings, patch: Record<string, unknown>): Settings {
  const next = new Map(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) next.delete(key);
    else if (value !== undefined) next.set(key, value);
  }
  return Object.fromEntries(next);
}

/**
 * Structural equality of JSON values (key order ignored), so that a command restating what is
 * already there emits nothing. Also used by the project and membership deciders.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length && keys.every((k) => Object.hasOwn(rb, k) && sameJson(ra[k], rb[k]));
}
