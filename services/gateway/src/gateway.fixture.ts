import { randomUUID } from 'node:crypto';
import { type Principal, type RequestMeta, type RpcReply, authRpc, rpc as patterns } from '@mandant/contracts';
import { createLogger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import { createGateway } from './app.ts';
import type { StatusStreamLimits } from './documents.ts';

// The services sit behind the RPC client: the gateway suites replace that boundary with a
// recording stub and check the gateway's own behaviour over real HTTP.

export const OPERATOR = 'operator-token-0123456789abcdefghij';
export const JWT_SECRET = 'jwt-secret-0123456789abcdef0123456789abcdef';
const tenantId = randomUUID();
export const admin: Principal = { tenant_id: tenantId, user_id: null, tenant_role: 'tenant_admin', actor: 'api_key:1' };
export const auditor: Principal = { tenant_id: tenantId, user_id: null, tenant_role: 'auditor', actor: 'api_key:2' };
const keys: Record<string, Principal> = { mnd_admin: admin, mnd_auditor: auditor };

export interface Sent {
  pattern: string;
  principal: Principal | null;
  operator: boolean;
  meta: RequestMeta;
  input: unknown;
}
export type Responder = (pattern: string, input: unknown) => RpcReply | Promise<RpcReply>;

export function fakeRpc() {
  const sent: Sent[] = [];
  const state: { respond: Responder; authJwt: (input: unknown) => RpcReply | Promise<RpcReply> } = {
    respond: () => ({ ok: true, value: { done: true } }),
    authJwt: () => ({ ok: true, value: { user_registered: true } }),
  };
  let auths = 0;
  const client: RpcClient = {
    async request<T>(pattern: string, req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown }) {
      if (pattern === patterns.authApiKey || pattern === authRpc.authJwt) auths++;
      if (pattern === patterns.authApiKey) {
        const secret = (req.input as { secret: string }).secret;
        const principal = keys[secret];
        return (
          principal ? { ok: true, value: principal } : { ok: false, error: { code: 'unauthenticated', message: 'invalid', details: {} } }
        ) as RpcReply<T>;
      }
      // every JWT's tenant is live and its subject registered, unless a suite says otherwise
      if (pattern === authRpc.authJwt) return (await state.authJwt(req.input)) as RpcReply<T>;
      sent.push({ pattern, principal: req.principal, operator: req.operator ?? false, meta: req.meta, input: req.input });
      return (await state.respond(pattern, req.input)) as RpcReply<T>;
    },
    async close() {},
  };
  /** credentials resolved so far: a request past authentication is in its handler once its turn of the event loop ends */
  const authCalls = () => auths;
  return { client, sent, state, authCalls };
}

export const METRICS_TOKEN = 'metrics-token-0123456789abcdefghij';

export async function start(
  overrides: {
    singleTenantPrincipal?: Principal | null;
    metricsToken?: string;
    statusStreams?: Partial<StatusStreamLimits>;
    drainMs?: number;
  } = {},
) {
  const rpc = fakeRpc();
  const gateway = await createGateway({
    config: {
      operatorToken: OPERATOR,
      jwt: { hs256Secret: JWT_SECRET, issuer: 'test-idp' },
      singleTenantPrincipal: overrides.singleTenantPrincipal ?? null,
      bodyLimitBytes: 2048,
      metricsToken: overrides.metricsToken,
      statusStreams: overrides.statusStreams,
      drainMs: overrides.drainMs,
    },
    rpc: rpc.client,
    log: createLogger({ level: 'silent' }),
    ready: async () => ({ ok: true, checks: { database: true } }),
  });
  const base = `${await gateway.listen(0, '127.0.0.1')}/api/v1`;
  const call = async (
    method: string,
    path: string,
    o: { token?: string; body?: string | object; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined && typeof o.body === 'object') headers['content-type'] ??= 'application/json';
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body: json };
  };
  /** the health port (/healthz, /readyz, /metrics without credentials) */
  const health = await gateway.listenHealth(0, '127.0.0.1');
  return { gateway, rpc, call, health, base };
}
