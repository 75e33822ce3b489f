import { Id, Slug, isUuidShaped, rpc as patterns } from '@mandant/contracts';
import type { RpcClient } from '@mandant/shared/rpc';
import type { HttpRequest } from './http.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/**
 * Where a route names a project: the path parameters that carry `project_id`, and whether its
 * input takes a `project_id` from the body (writes) or the query (reads that declare one).
 */
export function projectRefsOf(route: ApiRoute): { params: string[]; field: 'body' | 'query' | null } {
  const params = Object.entries(route.params ?? {})
    .filter(([, key]) => key === 'project_id')
    .map(([param]) => param);
  const shape = (route.input as { shape?: Record<string, unknown> } | undefined)?.shape;
  const takesField = params.length === 0 && shape !== undefined && 'project_id' in shape && route.handler !== 'upload';
  const field = !takesField ? null : route.method === 'GET' || route.method === 'DELETE' ? (route.query ? 'query' : null) : 'body';
  return { params, field };
}

/** What a given project reference is: an id (kept as it is), a slug to resolve, or neither (no such project). */
export function projectRefKind(ref: string): 'id' | 'slug' | 'none' {
  if (isUuidShaped(ref)) return Id.safeParse(ref).success ? 'id' : 'none';
  return Slug.safeParse(ref).success ? 'slug' : 'none';
}

/**
 * Project routes accept the project's slug wherever they accept its id: this wrapper, the one
 * place a slug is resolved, turns a slug in the route's project path parameter (or `project_id`
 * in the body or query) into the id before the endpoint sees the request, so the rest of the
 * gateway and every service deal in ids only. An id costs nothing; a slug one request to the
 * project service, which looks it up in the caller's tenant only (current and former slugs). A
 * slug no project of the tenant holds is 404, like an unknown id; whether the caller may read the
 * project is decided by the forwarded call, exactly as for the id.
 */
export function resolvingProjectRefs(route: ApiRoute, endpoint: Endpoint, rpc: RpcClient): Endpoint {
  const refs = projectRefsOf(route);
  if (refs.params.length === 0 && refs.field === null) return endpoint;

  const resolve = async (res: Parameters<Endpoint['handle']>[1], slug: string): Promise<string> => {
    const state = stateOf(res);
    const caller = state.caller;
    if (caller?.kind !== 'tenant') throw new ProblemError('not_found', 'no such resource');
    const reply = checkedReply(
      patterns.projectResolveSlug,
      await rpc.request<unknown>(patterns.projectResolveSlug, {
        principal: caller.principal,
        operator: false,
        meta: state.meta,
        input: { slug },
      }),
    );
    if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
    const id = (reply.value as { project_id?: unknown } | null)?.project_id;
    if (typeof id !== 'string' || !Id.safeParse(id).success) throw new Error(`malformed reply to ${patterns.projectResolveSlug}`);
    return id;
  };

  return {
    ...endpoint,
    async handle(req: HttpRequest, res) {
      if (stateOf(res).caller?.kind === 'tenant') {
        for (const param of refs.params) {
          const ref = req.params[param];
          // anything neither an id nor a slug is left for the endpoint to refuse, as before
          if (ref !== undefined && projectRefKind(ref) === 'slug') req.params[param] = await resolve(res, ref);
        }
        if (
          refs.field === 'body' &&
          isRecord(req.body) &&
          typeof req.body.project_id === 'string' &&
          projectRefKind(req.body.project_id) === 'slug'
        ) {
          req.body = { ...req.body, project_id: await resolve(res, req.body.project_id) };
        }
        if (refs.field === 'query') {
          const query = req.query;
          if (typeof query.project_id === 'string' && projectRefKind(query.project_id) === 'slug') {
            const resolved = { ...query, project_id: await resolve(res, query.project_id) };
            // Express 5 parses the query string on each read: the resolved one is set on this request
            Object.defineProperty(req, 'query', { value: resolved, configurable: true, enumerable: true, writable: true });
          }
        }
      }
      return endpoint.handle(req, res);
    },
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
