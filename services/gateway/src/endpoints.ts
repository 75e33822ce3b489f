import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { rpc as patterns } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import { type HttpRequest, type HttpResponse, header } from './http.ts';
import { adoptCorrelation, idempotencyFor, idempotencyKeyOf, markReplayed } from './idempotency.ts';
import { buildInput } from './input.ts';
import { type HttpMetrics, OpsMetricsReply, PROMETHEUS_CONTENT_TYPE, renderOpsMetrics } from './metrics.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/** Whether the process is ready (`checks`), and details of how it runs that do not make it unready. */
export type Readiness = () => Promise<{
  ok: boolean;
  checks: Record<string, boolean>;
  details?: { embedding?: { model: string; degraded: boolean; reason?: string } };
}>;

/**
 * The single helper behind every API route: build and validate the use case's input, send it
 * to the owning service with the caller and tracing metadata, and answer with the reply.
 * A refused reply is thrown as-is; the exception filter maps its code (see problem.ts).
 * A POST with an `Idempotency-Key` is applied once per key (idempotency.ts); a replayed answer
 * is sent exactly as the first, with `Idempotent-Replayed: true`.
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
      const key = route.method === 'POST' ? idempotencyKeyOf(req) : null;
      const input = buildInput(route, req);
      if (route.params?.id === 'project_id') state.projectId = req.params.id ?? null;
      const idem = key === null ? null : idempotencyFor(caller, key, route.name, req.params, input);
      if (idem) adoptCorrelation(state, res, idem);
      const reply = checkedReply(
        route.pattern,
        await rpc.request<unknown>(route.pattern, {
          principal: caller.kind === 'tenant' ? caller.principal : null,
          operator: caller.kind === 'operator',
          // the idempotency meta goes with this one request only, never with other calls made for it
          meta: idem ? { ...state.meta, idempotency: idem.meta } : state.meta,
          input,
        }),
      );
      markReplayed(res, reply);
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
      log.warn(
        { err, tenant_id: null, project_id: null, correlation_id: meta.correlation_id },
        'operational metrics unavailable for this scrape',
      );
      return null;
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface OpsDeps {
  ready: Readiness;
  metrics: HttpMetrics;
  openapi: unknown;
  ops?: OpsSource;
  /** whether a scrape of /metrics on the public port carries an accepted token (see app.ts) */
  scrapeAllowed: (authorization: string | undefined) => boolean;
  /** true once the gateway is shutting down: /readyz answers 503 `draining` so no new traffic comes */
  draining?: () => boolean;
}

const readiness = async (deps: Pick<OpsDeps, 'ready' | 'draining'>) => {
  if (deps.draining?.()) return { status: 503, body: { status: 'draining', checks: {} } };
  const { ok, checks, details } = await deps.ready().catch((): Awaited<ReturnType<Readiness>> => ({ ok: false, checks: {} }));
  return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not_ready', checks, ...(details ? { details } : {}) } };
};

/** The Prometheus text: the gateway's own series, then the platform figures (within their timeout). */
async function metricsText(deps: OpsDeps): Promise<string> {
  let text = deps.metrics.registry.render();
  if (deps.ops) {
    const started = process.hrtime.bigint();
    const ops = await deps.ops().catch(() => null);
    text += renderOpsMetrics(ops, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return text;
}

/**
 * Liveness, readiness, metrics and the API description, answered by the gateway itself on the
 * public port. /metrics names every tenant (per-tenant series), so there it needs
 * `Authorization: Bearer` with the metrics token (or the operator token): 401 otherwise. The
 * usual scrape goes to the health port instead (`healthListener`), which is not exposed publicly.
 */
export function opsEndpoints(deps: OpsDeps): Endpoint[] {
  const op = (name: string, path: string, handle: Endpoint['handle']): Endpoint => ({ name, method: 'GET', path, access: null, handle });
  return [
    op('healthz', '/healthz', (_req, res) => void res.status(200).json({ status: 'ok' })),
    op('readyz', '/readyz', async (_req, res) => {
      const r = await readiness(deps);
      res.status(r.status).json(r.body);
    }),
    op('metrics', '/metrics', async (req, res) => {
      if (!deps.scrapeAllowed(header(req, 'authorization'))) {
        throw new ProblemError('unauthenticated', 'metrics need Authorization: Bearer <metrics token>, or a scrape of the health port');
      }
      const text = await metricsText(deps);
      res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
      res.status(200).end(text);
    }),
    op('openapi', '/openapi.json', (_req, res) => void res.status(200).json(deps.openapi)),
  ];
}

/**
 * The health port's listener (HEALTH_PORT, like every service process): /healthz, /readyz and
 * /metrics without credentials, for the orchestrator's probes and a Prometheus scrape inside
 * the cluster. Anything else is 404. Not to be exposed beyond the cluster network.
 */
export function healthListener(deps: OpsDeps): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const json = (status: number, body: unknown) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return void readiness(deps).then((r) => json(r.status, r.body));
    if (path === '/metrics') {
      return void metricsText(deps).then(
        (text) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text),
        () => res.writeHead(500).end(),
      );
    }
    res.writeHead(404).end();
  };
}
