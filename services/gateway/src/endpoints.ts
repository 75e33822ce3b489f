import { randomUUID } from 'node:crypto';
import { rpc as patterns } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log.ts';
import type { RpcClient } from '@mandant/shared/rpc/rpc.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { buildInput } from './input.ts';
import { type HttpMetrics, OpsMetricsReply, PROMETHEUS_CONTENT_TYPE, renderOpsMetrics } from './metrics.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

export type Readiness = () => Promise<{ ok: boolean; checks: Record<string, boolean> }>;

/**
 * The single helper behind every API route: build and validate the use case's input, send it
 * to the owning service with the caller and tracing metadata, and answer with the reply.
 * A refused reply is thrown as-is; the exception filter maps its code (see problem.ts).
 */
export function apiEndpoint(route: ApiRoute, rpc: RpcClient): Endpoint {
  return {
    name: route.name,
    method: route.method,
    path: route.path,
    access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      // The guard sets the caller on every non-public route; its absence is a wiring bug.
      if (!caller) throw new Error(`route ${route.name} reached without a caller`);
      const input = buildInput(route, req);
      if (route.params?.id === 'project_id') state.projectId = req.params.id ?? null;
      const reply = checkedReply(route.pattern, await rpc.request<unknown>(route.pattern, {
        principal: caller.kind === 'tenant' ? caller.principal : null,
        operator: caller.kind === 'operator',
        meta: state.meta,
        input,
      }));
      if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
      if (route.status === 204) {
        res.status(204).end();
        return;
      }
      res.status(route.status).json(reply.value ?? null);
    },
  };
}

/** Fetches the platform-wide figures for a scrape; null when the tenant service is slow, down or answers oddly. */
export type OpsSource = () => Promise<OpsMetricsReply | null>;

/** How long a scrape waits for the tenant service: well under any scrape timeout. */
export const OPS_METRICS_TIMEOUT_MS = 1_500;

export function opsMetricsSource(rpc: RpcClient, log: Logger, timeoutMs = OPS_METRICS_TIMEOUT_MS): OpsSource {
  return async () => {
    const meta = { correlation_id: randomUUID(), traceparent: null };
    let timer: NodeJS.Timeout | undefined;
    // the transport has its own timeout; this one bounds the whole fetch whatever the client does
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const fetched = rpc.request<unknown>(patterns.opsMetrics, { principal: null, operator: true, meta, input: {} }, timeoutMs);
      const reply = checkedReply(patterns.opsMetrics, await Promise.race([fetched, late]));
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      return OpsMetricsReply.parse(reply.value);
    } catch (err) {
      log.warn({ err, tenant_id: null, project_id: null, correlation_id: meta.correlation_id }, 'operational metrics unavailable for this scrape');
      return null;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Liveness, readiness, metrics and the API description: public, answered by the gateway itself. */
export function opsEndpoints(deps: { ready: Readiness; metrics: HttpMetrics; openapi: unknown; ops?: OpsSource }): Endpoint[] {
  const op = (name: string, path: string, handle: Endpoint['handle']): Endpoint => ({ name, method: 'GET', path, access: null, handle });
  return [
    op('healthz', '/healthz', (_req, res) => void res.status(200).json({ status: 'ok' })),
    op('readyz', '/readyz', async (_req, res) => {
      const { ok, checks } = await deps.ready().catch(() => ({ ok: false, checks: {} as Record<string, boolean> }));
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
    }),
    op('metrics', '/metrics', async (_req, res) => {
      let text = deps.metrics.registry.render();
      if (deps.ops) {
        const started = process.hrtime.bigint();
        const ops = await deps.ops().catch(() => null);
        text += renderOpsMetrics(ops, Number(process.hrtime.bigint() - started) / 1e9);
      }
      res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
      res.status(200).end(text);
    }),
    op('openapi', '/openapi.json', (_req, res) => void res.status(200).json(deps.openapi)),
  ];
}
