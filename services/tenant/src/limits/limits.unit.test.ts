import { TenantEvent, UsageQueryInput } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { NO_OVERRIDES, resolveLimits } from './limits.ts';
import { deciderSpec } from '@mandant/shared/testing';
import { tenantDecider } from '../tenant/decide.ts';
import { usagePeriod } from './usage.ts';

const { decide, rejection } = deciderSpec(tenantDecider, TenantEvent);
const provisioned: TenantEvent = { type: 'tenant.provisioned.v1', data: { name: 'Acme', slug: 'acme', settings: {} } };
const limits = { ...NO_OVERRIDES, requests_per_second: 5, burst: 10, max_documents: 3 };

describe('SetTenantLimits', () => {
  it('records the whole set of limits', () => {
    expect(decide([provisioned], { type: 'SetTenantLimits', limits })).toEqual([{ type: 'tenant.limits_set.v1', data: { limits } }]);
  });

  it('records nothing when the limits are the current ones, the defaults included', () => {
    expect(decide([provisioned], { type: 'SetTenantLimits', limits: NO_OVERRIDES })).toEqual([]);
    expect(decide([provisioned, { type: 'tenant.limits_set.v1', data: { limits } }], { type: 'SetTenantLimits', limits })).toEqual([]);
  });

  it('answers not_found for a tenant that never was or is offboarded', () => {
    expect(rejection([], { type: 'SetTenantLimits', limits })).toBe('not_found');
    expect(rejection([provisioned, { type: 'tenant.offboarded.v1', data: {} }], { type: 'SetTenantLimits', limits })).toBe('not_found');
  });
});

describe('effective limits', () => {
  const defaults = {
    requests_per_second: 20,
    burst: 100,
    expensive_requests_per_second: 2,
    expensive_burst: 20,
    max_stored_bytes: 1000,
    max_documents: 50,
  };
  it('take each override that is set and the default for each null', () => {
    expect(resolveLimits(limits, defaults)).toEqual({
      ...defaults,
      requests_per_second: 5,
      burst: 10,
      max_documents: 3,
      overrides: limits,
    });
  });
});

describe('usage periods', () => {
  const now = new Date('2026-12-02T23:59:59Z');
  it('default to the last 30 UTC days up to today', () => {
    expect(usagePeriod({}, now)).toEqual({ from: '2026-11-03', to: '2026-12-02' });
  });
  it('refuse a period that ends before it starts or spans more than 366 days', () => {
    expect(() => usagePeriod({ from: '2026-12-03', to: '2026-12-02' }, now)).toThrow('from');
    expect(() => usagePeriod({ from: '2025-01-01', to: '2026-12-02' }, now)).toThrow('366');
    expect(usagePeriod({ from: '2026-12-02', to: '2026-12-02' }, now)).toEqual({ from: '2026-12-02', to: '2026-12-02' });
  });
  it('never start before the year 1, which Postgres cannot store before', () => {
    expect(usagePeriod({ to: '0001-01-05' }, now)).toEqual({ from: '0001-01-01', to: '0001-01-05' });
    expect(UsageQueryInput.safeParse({ from: '0000-12-31' }).success).toBe(false);
    expect(UsageQueryInput.safeParse({ from: '2026-02-30' }).success).toBe(false);
  });
});
