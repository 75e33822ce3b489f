import type { MessageView } from '@mandant/contracts';
import type { RpcClient } from '@mandant/shared/rpc';
import { type HttpRequest, type HttpResponse, header, openEventStream } from './http.ts';
import { buildInput } from './input.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
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

/**
 * `POST /chat/conversations/{id}/messages`: the answer whole (201, the assistant's MessageView),
 * or, with `stream: true` in the body or `Accept: text/event-stream`, as server-sent events:
 * `event: token` with `{text}` pieces, then `event: done` with the whole MessageView (citations
 * included). Anything refused before the first byte (validation, 404, 403, an unavailable search)
 * stays an `application/problem+json` answer with its status.
 *
 * Known limit: the chat service answers over request/reply, so the gateway receives the whole
 * answer and streams it in pieces; the first token arrives only once the answer is complete.
 * True token streaming needs a reply channel from the model through NATS and is left for later.
 */
export function chatMessageEndpoint(route: ApiRoute, rpc: RpcClient): Endpoint {
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
      const stream = wantsStream(req, input);
      // answers take a model call or two: allow more than the default request timeout
      const reply = checkedReply(
        route.pattern,
        await rpc.request<unknown>(
          route.pattern,
          {
            principal: caller.principal,
            operator: false,
            meta: state.meta,
            input,
          },
          120_000,
        ),
      );
      if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
      const message = reply.value as MessageView;
      if (!stream) {
        res.status(route.status).json(message);
        return;
      }
      const events = openEventStream(req, res);
      for (const text of answerPieces(message.content)) {
        if (events.closed) break;
        events.send('token', { text });
      }
      if (!events.closed) events.send('done', message);
      events.end();
    },
  };
}
