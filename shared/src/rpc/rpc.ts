import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, type ClientProxy, type CustomTransportStrategy, MessagePattern, ServerNats } from '@nestjs/microservices';
import { type Principal, type RequestMeta, RpcRequest, type RpcReply, findUnstorable } from '@mandant/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { ZodError } from 'zod';
import type { Sql } from '../db/connect.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Idempotency, type IdempotencyOptions, createIdempotency, idempotentCorrelationId } from './idempotency.ts';
import { type InProcessHub, InProcessClient, InProcessServer } from './in-process.ts';

/** Where requests travel: a NATS server (production) or the in-process hub (one process, no NATS). */
export type RpcTransport = { kind: 'nats'; servers: string[] } | { kind: 'in-process'; hub: InProcessHub };

export interface RpcContext {
  principal: Principal | null;
  operator: boolean;
  meta: RequestMeta;
}
/** A use case behind a message pattern: parse `input` with contracts/, do the work, return a value or throw a DomainError. */
export type RpcHandler = (input: unknown, ctx: RpcContext) => Promise<unknown>;

export class RpcUnavailableError extends Error {
  override readonly name = 'RpcUnavailableError';
}

function toReply(err: unknown, log: Logger, pattern: string): RpcReply<never> {
  if (err instanceof DomainError) return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') ?? '';
    return {
      ok: false,
      error: {
        code: 'validation.failed',
        message: field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid input'),
        details: { issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      },
    };
  }
  log.error({ err, pattern }, 'handler failed');
  return { ok: false, error: { code: 'internal', message: 'internal error', details: {} } };
}

/**
 * Every request is held to the contracts' storable-input rule before any handler runs (no
 * U+0000 or lone surrogate in any string or key, bounded depth): the gateway checks it too,
 * but it is not the services' only caller.
 */
function refuseUnstorable(req: RpcRequest): void {
  const issue = findUnstorable(req.input) ?? findUnstorable({ principal: req.principal, meta: req.meta });
  if (issue) throw new DomainError('validation.failed', `${issue.path}: ${issue.message}`, { issues: [issue] });
}

/**
 * Runs one request's handler and turns its outcome into a reply. A request carrying an
 * idempotency key runs through the claim (idempotency.ts) when the process has a database; its
 * correlation id is the one derived from the key, so every event it appends can be found again,
 * and the handler never sees the seal.
 */
async function answer(
  pattern: string,
  handler: RpcHandler,
  req: RpcRequest,
  idempotency: Idempotency | null,
  log: Logger,
): Promise<RpcReply> {
  const exec = async (meta: RequestMeta): Promise<RpcReply> => {
    try {
      const value = await handler(req.input, { principal: req.principal, operator: req.operator, meta });
      return { ok: true, value: value ?? null };
    } catch (err) {
      return toReply(err, log, pattern);
    }
  };
  const { idempotency: id, ...meta } = req.meta;
  if (!id || !idempotency) return exec(meta);
  const keyed = { ...meta, correlation_id: idempotentCorrelationId(id.key) };
  return idempotency.serve(pattern, { ...req, meta: { ...keyed, idempotency: id } }, () => exec(keyed));
}

/**
 * Serves `handlers` as NestJS message patterns on the chosen transport. The controller is
 * built from the map so each service keeps its use cases as plain functions; NestJS only routes.
 * On NATS the service joins a queue group, so replicas share the load. With `sql`, requests
 * carrying an idempotency key run at most once per key (see idempotency.ts); without it they run
 * as any other.
 */
export async function serveRpc(opts: {
  service: string;
  handlers: Record<string, RpcHandler>;
  transport: RpcTransport;
  log: Logger;
  sql?: Sql;
  idempotency?: IdempotencyOptions;
}): Promise<{ close(): Promise<void> }> {
  const { handlers } = opts;
  const log = opts.log.child({ service: opts.service });
  const idempotency = opts.sql ? createIdempotency(opts.sql, log, opts.idempotency) : null;
  class RpcController {}
  for (const [pattern, handler] of Object.entries(handlers)) {
    const method = async (data: unknown): Promise<RpcReply> => {
      try {
        const req = RpcRequest.parse(data);
        refuseUnstorable(req);
        return await answer(pattern, handler, req, idempotency, log);
      } catch (err) {
        return toReply(err, log, pattern);
      }
    };
    Object.defineProperty(RpcController.prototype, pattern, { value: method, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(RpcController.prototype, pattern);
    if (descriptor) MessagePattern(pattern)(RpcController.prototype, pattern, descriptor);
  }
  Controller()(RpcController);
  class RpcModule {}
  Module({ controllers: [RpcController] })(RpcModule);

  const strategy: CustomTransportStrategy =
    opts.transport.kind === 'nats'
      ? new ServerNats({ servers: opts.transport.servers, queue: `mandant-${opts.service}`, maxReconnectAttempts: -1 })
      : new InProcessServer(opts.transport.hub);
  const app = await NestFactory.createMicroservice(RpcModule, { strategy, logger: false });
  await app.listen();
  return { close: () => app.close() };
}

export interface RpcClient {
  /** Sends one request and returns the service's reply; a transport failure rejects with RpcUnavailableError. */
  request<T>(
    pattern: string,
    req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
    timeoutMs?: number,
  ): Promise<RpcReply<T>>;
  close(): Promise<void>;
}

export async function createRpcClient(transport: RpcTransport): Promise<RpcClient> {
  const proxy: Pick<ClientProxy, 'connect' | 'close' | 'send'> =
    transport.kind === 'nats'
      ? new ClientNats({ servers: transport.servers, maxReconnectAttempts: -1 })
      : new InProcessClient(transport.hub);
  await proxy.connect();
  return {
    async request<T>(
      pattern: string,
      req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
      timeoutMs = 15_000,
    ) {
      try {
        return await firstValueFrom(proxy.send<RpcReply<T>>(pattern, { operator: false, ...req }).pipe(timeout(timeoutMs)));
      } catch (err) {
        throw new RpcUnavailableError(`request ${pattern} failed`, { cause: err });
      }
    },
    async close() {
      await proxy.close();
    },
  };
}
