import { type Settings, TENANT_OFFBOARDED, type TenantEvent, type TenantLimitOverrides, type TenantRole } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { mergeSettings, sameJson } from '@mandant/shared/json';
import { evolveTenant, initialTenantState, type TenantState } from './tenant.ts';

export type ProvisionTenant = { type: 'ProvisionTenant'; name: string; slug: string; settings: Settings };
/** `patch` is merged shallowly into the settings; a key set to `null` is removed. */
export type ChangeTenantSettings = { type: 'ChangeTenantSettings'; patch: Record<string, unknown> };
/** A key acts either as a user (`user_id`) or with a tenant role (`role`), never both. */
export type IssueApiKey = {
  type: 'IssueApiKey';
  key_id: string;
  name: string;
  user_id: string | null;
  role: TenantRole | null;
  prefix: string;
  secret_hash: string;
};
export type RevokeApiKey = { type: 'RevokeApiKey'; key_id: string };
/** Erases the tenant for good (platform operator). */
export type OffboardTenant = { type: 'OffboardTenant' };
/** The platform operator sets the tenant's limits as a whole (null: the platform default). */
export type SetTenantLimits = { type: 'SetTenantLimits'; limits: TenantLimitOverrides };

export type TenantCommand = ProvisionTenant | ChangeTenantSettings | IssueApiKey | RevokeApiKey | OffboardTenant | SetTenantLimits;

function requireActive(state: TenantState): void {
  if (state.status !== 'active') throw notFound('tenant');
}

export function decideTenant(command: TenantCommand, state: TenantState): TenantEvent[] {
  switch (command.type) {
    case 'ProvisionTenant': {
      if (state.status !== 'none') throw new DomainError('tenant.exists', 'tenant is already provisioned');
      return [{ type: 'tenant.provisioned.v1', data: { name: command.name, slug: command.slug, settings: command.settings } }];
    }
    case 'ChangeTenantSettings': {
      requireActive(state);
      const settings = mergeSettings(state.settings, command.patch);
      if (sameJson(settings, state.settings)) return [];
      return [{ type: 'tenant.settings_changed.v1', data: { settings } }];
    }
    case 'IssueApiKey': {
      requireActive(state);
      const { key_id, name, user_id, role, prefix, secret_hash } = command;
      if ((user_id === null) === (role === null)) {
        throw new DomainError('validation.failed', 'an API key has exactly one of user_id and role', { field: 'user_id' });
      }
      if (state.apiKeys[key_id]) throw new DomainError('conflict', `API key ${key_id} exists`, { key_id });
      return [{ type: 'api_key.issued.v1', data: { key_id, name, user_id, role, prefix, secret_hash } }];
    }
    case 'RevokeApiKey': {
      requireActive(state);
      const key = state.apiKeys[command.key_id];
      // a revoked key answers like an unknown one: for its callers it no longer exists
      if (!key || key.revoked) throw notFound('api key');
      return [{ type: 'api_key.revoked.v1', data: { key_id: command.key_id } }];
    }
    case 'OffboardTenant': {
      // offboarding twice, or a tenant that never was, answers 404 like any command on it
      requireActive(state);
      return [{ type: TENANT_OFFBOARDED, data: {} }];
    }
    case 'SetTenantLimits': {
      requireActive(state);
      // restating the current limits records nothing: the audit trail shows changes only
      if (sameJson(command.limits, state.limits)) return [];
      return [{ type: 'tenant.limits_set.v1', data: { limits: command.limits } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled tenant command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const tenantDecider: Decider<TenantState, TenantCommand, TenantEvent> = {
  initialState: initialTenantState,
  evolve: evolveTenant,
  decide: decideTenant,
};
