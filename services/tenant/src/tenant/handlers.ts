import {
  ApiKeyIdInput,
  type ApiKeyView,
  CreateApiKeyInput,
  type EventMeta,
  PatchSettingsInput,
  ProvisionTenantInput,
  ResolveSlugInput,
  TenantIdInput,
  type TenantView,
  rpc,
  streams,
} from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '@mandant/shared/db';
import { DomainError, forbidden, notFound } from '@mandant/shared/errors';
import type { EventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import type { Logger } from '@mandant/shared/log';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requireReader, requireTenantAdmin, userExists } from '@mandant/membership';
import { type Clock, type ViewsWait, runCommand } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { createPostgresKeyStore } from '@mandant/shared/stores/crypto';
import { newApiKeySecret } from './api-keys.ts';
import { type TenantCommand, tenantDecider } from './decide.ts';

/** A row of `tenants_view` (and of `mandant_list_tenants()`, which has its first columns). */
interface TenantRow {
  tenant_id: string;
  name: string;
  slug: string;
  settings: TenantView['settings'];
  created_at: Date;
  updated_at: Date;
}

/** A row of `api_keys_view`. */
interface ApiKeyRow {
  key_id: string;
  name: string;
  user_id: string | null;
  role: ApiKeyView['role'];
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

export interface TenantDeps {
  sql: Sql;
  store: EventStore;
  clock: Clock;
  log: Logger;
  waitForViews: ViewsWait;
  /**
   * The process's read stores when it has them (the all-in-one platform): offboarding destroys
   * the tenant's keys through their keyring, which also drops its cache at once. Without them
   * (the tenant service on its own, no master key) the key table is emptied directly; other
   * processes then stop opening the tenant's data within their key cache time (5 s).
   */
  stores?: { keyring: Keyring } | null;
}

const metaOf = (ctx: RpcContext, actor: string): EventMeta => ({
  actor,
  correlation_id: ctx.meta.correlation_id,
  causation_id: null,
  traceparent: ctx.meta.traceparent,
});

function requireOperator(ctx: RpcContext): void {
  if (!ctx.operator) throw forbidden('platform operator only');
}

export function tenantHandlers(deps: TenantDeps): Record<string, RpcHandler> {
  const { sql, store, clock, log, waitForViews } = deps;
  const destroyKeys = (tenantId: string): Promise<void> =>
    deps.stores ? deps.stores.keyring.destroy(tenantId) : createPostgresKeyStore(sql).destroy(tenantId);

  const execute = async (tenantId: string, command: TenantCommand, meta: EventMeta, beforeCommit?: (tx: Tx) => Promise<void>) => {
    const res = await runCommand({
      store,
      clock,
      decider: tenantDecider,
      tenantId,
      stream: streams.tenant(tenantId),
      projectId: null,
      command,
      meta,
      beforeCommit: beforeCommit ? () => beforeCommit : undefined,
    });
    await waitForViews(tenantId, res.position);
    return res;
  };

  const tenantView = async (tenantId: string): Promise<TenantView> => {
    const [row] = await withTenant(sql, tenantId, (tx) => tx<TenantRow[]>`select * from tenants_view where tenant_id = ${tenantId}`);
    if (!row) throw notFound('tenant');
    return {
      id: row.tenant_id,
      name: row.name,
      slug: row.slug,
      settings: row.settings,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    };
  };

  const issueKey = async (p: {
    tenantId: string;
    name: string;
    user_id: string | null;
    role: 'tenant_admin' | 'auditor' | null;
    meta: EventMeta;
  }) => {
    const keyId = uuidv7();
    const { secret, prefix, secret_hash } = newApiKeySecret(p.tenantId);
    await execute(
      p.tenantId,
      { type: 'IssueApiKey', key_id: keyId, name: p.name, user_id: p.user_id, role: p.role, prefix, secret_hash },
      p.meta,
    );
    return { keyId, secret };
  };

  const keyView = (r: ApiKeyRow): ApiKeyView => ({
    id: r.key_id,
    name: r.name,
    user_id: r.user_id,
    role: r.role,
    prefix: r.prefix,
    created_at: r.created_at.toISOString(),
    revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
  });

  return {
    async [rpc.tenantProvision](input, ctx) {
      requireOperator(ctx);
      const body = ProvisionTenantInput.parse(input);
      const tenantId = uuidv7();
      const meta = metaOf(ctx, 'operator');
      await execute(tenantId, { type: 'ProvisionTenant', name: body.name, slug: body.slug, settings: body.settings }, meta, async (tx) => {
        const claimed =
          await tx`insert into tenant_slugs (slug, tenant_id) values (${body.slug}, ${tenantId}) on conflict do nothing returning slug`;
        if (claimed.length === 0) throw new DomainError('slug.taken', `tenant slug "${body.slug}" is taken`, { field: 'slug' });
      });
      const key = await issueKey({ tenantId, name: 'initial admin key', user_id: null, role: 'tenant_admin', meta });
      return { tenant: await tenantView(tenantId), admin_api_key: key.secret };
    },

    /**
     * Offboarding: the tombstone `tenant.offboarded.v1` (its transaction also marks the tenant
     * offboarded, after which the log refuses any other event of it), then every data key of the
     * tenant is destroyed, then the answer waits for the relational views to have purged it. The
     * projectors purge the document stores and the bucket on the tombstone (the blob projector
     * destroys the keys too, should this process die between the append and `destroyKeys`).
     * Offboarding again answers 404, after destroying the keys once more.
     */
    async [rpc.tenantOffboard](input, ctx) {
      requireOperator(ctx);
      const { tenant_id } = TenantIdInput.parse(input);
      const tenantId = tenant_id.toLowerCase();
      try {
        const res = await runCommand({
          store,
          clock,
          decider: tenantDecider,
          tenantId,
          stream: streams.tenant(tenantId),
          projectId: null,
          command: { type: 'OffboardTenant' },
          meta: metaOf(ctx, 'operator'),
          beforeCommit: () => async (tx) => {
            await tx`insert into offboarded_tenants (tenant_id) values (${tenantId}) on conflict do nothing`;
          },
        });
        await destroyKeys(tenantId);
        log.info(
          { tenant_id: tenantId, correlation_id: ctx.meta.correlation_id, tenant_seq: res.position },
          'tenant offboarded; data keys destroyed',
        );
        await waitForViews(tenantId, res.position);
        return null;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'not_found') {
          const [gone] = await withTenant(sql, tenantId, (tx) => tx`select 1 from offboarded_tenants where tenant_id = ${tenantId}`);
          if (gone) await destroyKeys(tenantId);
        }
        throw err;
      }
    },

    async [rpc.tenantList](_input, ctx) {
      requireOperator(ctx);
      const rows = await sql<TenantRow[]>`select * from mandant_list_tenants()`;
      return { tenants: rows.map((r) => ({ id: r.tenant_id, name: r.name, slug: r.slug, created_at: r.created_at.toISOString() })) };
    },

    async [rpc.tenantResolveSlug](input, ctx) {
      requireOperator(ctx);
      const { slug } = ResolveSlugInput.parse(input);
      const [row] = await sql<{ id: string | null }[]>`select mandant_tenant_by_slug(${slug}) as id`;
      if (!row?.id) throw notFound('tenant');
      return { tenant_id: row.id };
    },

    async [rpc.tenantGet](_input, ctx) {
      return tenantView(requireReader(ctx.principal).tenant_id);
    },

    async [rpc.tenantSettingsPatch](input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const { settings } = PatchSettingsInput.parse(input);
      await execute(p.tenant_id, { type: 'ChangeTenantSettings', patch: settings }, metaOf(ctx, p.actor));
      return tenantView(p.tenant_id);
    },

    async [rpc.apiKeyCreate](input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const body = CreateApiKeyInput.parse(input);
      if (body.user_id) {
        const userId = body.user_id;
        if (!(await withTenant(sql, p.tenant_id, (tx) => userExists(tx, p.tenant_id, userId))))
          throw new DomainError('validation.failed', 'user_id: no such user in this tenant', { field: 'user_id' });
      }
      const key = await issueKey({
        tenantId: p.tenant_id,
        name: body.name,
        user_id: body.user_id ?? null,
        role: body.role ?? null,
        meta: metaOf(ctx, p.actor),
      });
      const [row] = await withTenant(
        sql,
        p.tenant_id,
        (tx) => tx<ApiKeyRow[]>`select * from api_keys_view where tenant_id = ${p.tenant_id} and key_id = ${key.keyId}`,
      );
      if (!row) throw notFound('api key');
      return { api_key: keyView(row), secret: key.secret };
    },

    async [rpc.apiKeyList](_input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const rows = await withTenant(
        sql,
        p.tenant_id,
        (tx) => tx<ApiKeyRow[]>`select * from api_keys_view where tenant_id = ${p.tenant_id} order by created_at, key_id`,
      );
      return { api_keys: rows.map(keyView) };
    },

    async [rpc.apiKeyRevoke](input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const { key_id } = ApiKeyIdInput.parse(input);
      await execute(p.tenant_id, { type: 'RevokeApiKey', key_id }, metaOf(ctx, p.actor));
      return null;
    },
  };
}
