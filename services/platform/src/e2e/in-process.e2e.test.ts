import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();

// The fallback for a machine without any NATS: the same services and projectors, wired in memory.
describe.skipIf(!pg)('the platform on its in-process transport', () => {
  let h: Harness;
  beforeAll(async () => {
    if (pg) h = await startHarness({ ownerUrl: pg.ownerUrl, env: { NATS_URL: 'in-process' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('provisions a tenant, creates a project and reads it back through the projected views', async () => {
    expect(h.platform.runtime.describe.nats).toBe('in-process transport');
    const tenant = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Solo', slug: `solo-${Date.now().toString(36)}` } });
    expect(tenant.status).toBe(201);
    const key = tenant.body.admin_api_key as string;
    const project = await h.call('POST', '/projects', { token: key, body: { name: 'Memory lane' } });
    expect(project.status).toBe(201);
    const listed = await h.call('GET', '/projects', { token: key });
    expect(listed.body.projects.map((p: { slug: string }) => p.slug)).toEqual(['memory-lane']);
  });
});
