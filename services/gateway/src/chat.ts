import type { MessageView } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import { type RpcClient, RpcStreamError } from '@mandant/shared/rpc';
import { type EventStream, type HttpRequest, type HttpResponse, header, openEventStream } from './http.ts';
import { buildInput } from './input.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError, toProblem } from './problem.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/** Splits an answer into pieces of a few words each, whitespace kept, so the pieces join back to the text exactly. */
export function answerPieces(text: string, wordsPerPiece = 4): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) pieces.push(words.slice(i, i + wordsPerPiece).join(''));
  return pieces;
}

const wantsStream = (req: HttpRequest, input: unknown): boolean =>
  (input as { stream?: unknown }).stream === true || /\btext\/event-stream\b/.test(header(req, 'accept') ?? '');

/** An answer takes retrieval and a model call: longer than the default request deadline. */
const ANSWER_TIMEOUT_MS = 180_000;
/** Bytes of one streamed answer (tokens and the final message); the chat service bounds the text itself far below. */
const ANSWER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * `POST /chat/conversations/{id}/messages`: the answer whole (201, the assistant's MessageView),
 * or, with `stream: true` in the body or `Accept: text/event-stream`, as server-sent events:
 * `event: token` with `{text}` as the answer is written (the chat model's deltas, or one quoted
 * sentence at a time for extractive answers), then `event: done` with the whole MessageView
 * (its content with the citation markers renumbered, and the citations). Anything refused
 * before the first token (validation, 404, 403, an archived project, an unavailable search)
 * stays an `application/problem+json` answer with its status: the chat service decides all of
 * that before it writes a word. A failure after the first token ends the stream with
 * `event: error` carrying the problem object; such an answer is not recorded. A client that
 * leaves stops the answer, the chat model's HTTP request included.
 */
export function chatMessageEndpoint(route: ApiRoute, rpc: RpcClient, log?: Logger): Endpoint {
  return {
    name: route.name,
    method: route.method,
    path: route.path,
    access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller || caller.kind !== 'tenant') throw new ProblemError('forbidden', 'chat needs a tenant credential');
      const input = buildInput(route, req);
      const request = { principal: caller.principal, operator: false, meta: state.meta, input };
      if (wantsStream(req, input) && rpc.stream) {
        await streamAnswer(route, rpc.stream.bind(rpc), request, req, res, log);
        return;
      }
      const reply = checkedReply(route.pattern, await rpc.request<unknown>(route.pattern, request, ANSWER_TIMEOUT_MS));
      if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
      const message = reply.value as MessageView;
      if (!wantsStream(req, input)) {
        res.status(route.status).json(message);
        return;
      }
      // a client that cannot stream (test doubles): the whole answer, then its pieces
      const events = openEventStream(req, res);
      for (const text of answerPieces(message.content)) if (!events.closed) events.send('token', { text });
      if (!events.closed) events.send('done', message);
      events.end();
    },
  };
}

async function streamAnswer(
  route: ApiRoute,
  stream: NonNullable<RpcClient['stream']>,
  request: Parameters<RpcClient['request']>[1],
  req: HttpRequest,
  res: HttpResponse,
  log: Logger | undefined,
): Promise<void> {
  const left = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) left.abort(new Error('client left'));
  });
  let events: EventStream | null = null;
  const open = () => (events ??= openEventStream(req, res));
  const instance = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
  // a stream that broke on the way (a lost frame, a deadline, a size bound) is a service that did not answer
  const asProblem = (err: unknown) => (err instanceof RpcStreamError ? new ProblemError('unavailable', err.message) : err);
  const failed = (err: unknown) => {
    const problem = toProblem(asProblem(err), { instance, correlationId: request.meta.correlation_id });
    if (problem.cause !== undefined) log?.warn({ err, correlation_id: request.meta.correlation_id }, 'chat answer failed mid-stream');
    open().send('error', problem.body);
  };
  try {
    for await (const event of stream<unknown>(route.pattern, request, {
      signal: left.signal,
      timeoutMs: ANSWER_TIMEOUT_MS,
      maxBytes: ANSWER_MAX_BYTES,
    })) {
      if (event.type === 'chunk') {
        const text = (event.data as { text?: unknown } | null)?.text;
        if (typeof text === 'string') open().send('token', { text });
        continue;
      }
      const reply = checkedReply(route.pattern, event.reply);
      if (reply.ok) open().send('done', reply.value);
      else if (events) failed(new ProblemError(reply.error.code, reply.error.message, reply.error.details));
      // nothing sent yet: an ordinary problem+json answer with its status
      else throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
    }
  } catch (err) {
    if (!events) throw asProblem(err);
    if (!left.signal.aborted) failed(err);
  } finally {
    (events as EventStream | null)?.end();
  }
}
