import type { RpcClient } from '@mandant/shared/rpc/rpc.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { buildInput } from './input.ts';
import { type HttpMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.ts';
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

/** Liveness, readiness, metrics and the API description: public, answered by the gateway itself. */
export function opsEndpoints(deps: { ready: Readiness; metrics: HttpMetrics; openapi: unknown }): Endpoint[] {
  const op = (name: string, path: string, handle: Endpoint['handle']): Endpoint => ({ name, method: 'GET', path, access: null, handle });
  return [
    op('healthz', '/healthz', (_req, res) => void res.status(200).json({ status: 'ok' })),
    op('readyz', '/readyz', async (_req, res) => {
      const { ok, checks } = await deps.ready().catch(() => ({ ok: false, checks: {} as Record<string, boolean> }));
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
    }),
    op('metrics', '/metrics', (_req, res) => {
      res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
      res.status(200).end(deps.metrics.registry.render());
    }),
    op('openapi', '/openapi.json', (_req, res) => void res.status(200).json(deps.openapi)),
  ];
}
