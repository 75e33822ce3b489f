import { type Settings, TENANT_OFFBOARDED, type TenantEvent, type TenantLimitOverrides, type TenantRole } from '@mandant/contracts';
import { NO_OVERRIDES } from '../limits/limits.ts';

export interface ApiKeyState {
  name: string;
  user_id: string | null;
  role: TenantRole | null;
  prefix: string;
  secret_hash: string;
  revoked: boolean;
}

export interface TenantState {
  /** `offboarded`: erased for good; the tenant answers like one that does not exist */
  status: 'none' | 'active' | 'offboarded';
  name: string;
  slug: string;
  settings: Settings;
  /** every key ever issued, by key_id; revoked keys stay so their ids are never reused */
  apiKeys: Record<string, ApiKeyState>;
  /** the operator's overrides of the platform's default limits (null: the default) */
  limits: TenantLimitOverrides;
}

export const initialTenantState = (): TenantState => ({
  status: 'none',
  name: '',
  slug: '',
  settings: {},
  apiKeys: {},
  limits: NO_OVERRIDES,
});

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
    case TENANT_OFFBOARDED:
      return { ...state, status: 'offboarded' };
    case 'tenant.limits_set.v1':
      return { ...state, limits: event.data.limits };
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown tenant event ${(unknown as { type: string }).type}`);
    }
  }
}
