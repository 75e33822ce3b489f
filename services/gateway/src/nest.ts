import {
  type ArgumentsHost,
  type CanActivate,
  Catch,
  Controller,
  Delete,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  Patch,
  Post,
  Put,
  Req,
  Res,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Logger } from '@mandant/shared/log';
import type { Authenticator } from './auth.ts';
import { type HttpRequest, type HttpResponse, header } from './http.ts';
import { ProblemError, toProblem } from './problem.ts';
import { stateOf } from './request.ts';
import type { Sessions } from './session.ts';
import { API_PREFIX, type Access, type HttpMethod } from './routes.ts';

/**
 * NestJS stays at the edge: it routes, runs the guard and the exception filter, and hands
 * each request at once to a plain function. Decorators are applied as functions (no decorator
 * syntax, no emitted metadata), as shared/src/rpc does for message patterns.
 */

/** One HTTP endpoint: where it lives, who may call it (null: anyone), and the function serving it. */
export interface Endpoint {
  name: string;
  method: HttpMethod;
  /** relative to API_PREFIX */
  path: string;
  access: Access | null;
  handle(req: HttpRequest, res: HttpResponse): Promise<void> | void;
}

const ENDPOINT = 'mandant:endpoint';
const verbs = { GET: Get, POST: Post, PUT: Put, PATCH: Patch, DELETE: Delete } as const;

/** A controller class built from the endpoint list, so that list stays the one source of routes. */
export function buildController(endpoints: readonly Endpoint[]): new () => object {
  class GatewayController {}
  const proto = GatewayController.prototype;
  for (const endpoint of endpoints) {
    const method = (req: HttpRequest, res: HttpResponse) => endpoint.handle(req, res);
    Object.defineProperty(proto, endpoint.name, { value: method, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(proto, endpoint.name);
    if (!descriptor) throw new Error(`cannot define endpoint ${endpoint.name}`);
    verbs[endpoint.method](endpoint.path)(proto, endpoint.name, descriptor);
    SetMetadata(ENDPOINT, endpoint)(proto, endpoint.name, descriptor);
    Req()(proto, endpoint.name, 0);
    Res()(proto, endpoint.name, 1);
  }
  Controller(API_PREFIX.slice(1))(GatewayController);
  return GatewayController;
}

/**
 * Authenticates every routed request before its handler runs, from the endpoint's declared
 * access. An endpoint without one is refused (fails closed), so a new route cannot be public
 * by omission.
 */
export class AuthGuard implements CanActivate {
  private readonly reflector = new Reflector();
  constructor(
    private readonly auth: Authenticator,
    private readonly sessions: Sessions | null = null,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const endpoint = this.reflector.get<Endpoint | undefined>(ENDPOINT, ctx.getHandler());
    if (!endpoint) throw new Error('a route without endpoint metadata reached the guard');
    const http = ctx.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    const state = stateOf(res);
    state.route = API_PREFIX + endpoint.path;
    if (endpoint.access === null) return true;
    // without an Authorization header, a console session cookie stands for one (session.ts)
    const authorization = this.sessions ? this.sessions.authorizationOf(req, res) : header(req, 'authorization');
    try {
      state.caller = await this.auth.authenticate(endpoint.access, authorization, state.meta);
    } catch (err) {
      // a session whose credential no longer authenticates (a revoked key, an expired token) is over
      if (this.sessions?.sessionOf(res) && err instanceof ProblemError && err.code === 'unauthenticated')
        this.sessions.clearCookie(req, res);
      throw err;
    }
    return true;
  }
}

/** The one place a thrown error becomes an HTTP answer: RFC 9457 problem+json (see problem.ts). */
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    const state = stateOf(res);
    const instance = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
    const problem = toProblem(err, { instance, correlationId: state.meta.correlation_id });
    if (problem.cause !== undefined) {
      const level = problem.status === 503 ? 'warn' : 'error';
      this.log[level]({ err: problem.cause, correlation_id: state.meta.correlation_id, route: state.route }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res.status(problem.status);
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.end(JSON.stringify(problem.body));
  }
}
Catch()(ProblemFilter);
