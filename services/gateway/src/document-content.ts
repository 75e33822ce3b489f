import { DocumentContentReply, DocumentTextPiece, MAX_DOCUMENT_TEXT_CHARS } from '@mandant/contracts';
import { type RpcClient, RpcStreamError } from '@mandant/shared/rpc';
import type { HttpRequest, HttpResponse } from './http.ts';
import { buildInput } from './input.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/**
 * The most bytes the pieces of one text and its answer may take on the way: the longest text in
 * UTF-8 with every character escaped in JSON (at most 6 bytes per UTF-16 code unit), plus the
 * passages' spans.
 */
const CONTENT_MAX_BYTES = MAX_DOCUMENT_TEXT_CHARS * 6 + 8 * 1024 * 1024;

/** The pieces of a document's text and the answer they belong to, joined into the documented `DocumentContent`. */
function joined(reply: DocumentContentReply, pieces: string[]) {
  const { pieces: count, ...content } = reply;
  // a piece lost on the way (or a transport that cannot stream) must not read as a shorter text
  if (count !== pieces.length) throw new ProblemError('unavailable', "the document's text arrived incomplete; try again");
  return { ...content, text: content.text + pieces.join('') };
}

/**
 * `GET /documents/{id}/content`: the document service streams the text in pieces (one message
 * holds about 1 MB, a text up to 2,000,000 characters), then the rest of the answer, which the
 * gateway joins into one JSON answer. A refusal (404, 409) comes before any piece and is an
 * ordinary problem answer; a stream broken on the way is a 503.
 */
export function documentContentEndpoint(route: ApiRoute, rpc: RpcClient): Endpoint {
  return {
    name: route.name,
    method: route.method,
    path: route.path,
    access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller) throw new Error(`route ${route.name} reached without a caller`);
      const request = {
        principal: caller.kind === 'tenant' ? caller.principal : null,
        operator: caller.kind === 'operator',
        meta: state.meta,
        input: buildInput(route, req),
      };
      const refused = (reply: ReturnType<typeof checkedReply>) => {
        if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
        return DocumentContentReply.parse(reply.value);
      };
      if (!rpc.stream) {
        // a client that cannot stream (test doubles): the answer alone, whole only for an empty text
        res.status(200).json(joined(refused(checkedReply(route.pattern, await rpc.request<unknown>(route.pattern, request))), []));
        return;
      }
      const left = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) left.abort(new Error('client left'));
      });
      const pieces: string[] = [];
      try {
        for await (const event of rpc.stream<unknown>(route.pattern, request, { signal: left.signal, maxBytes: CONTENT_MAX_BYTES })) {
          if (event.type === 'chunk') {
            pieces.push(DocumentTextPiece.parse(event.data).text);
            continue;
          }
          res.status(200).json(joined(refused(checkedReply(route.pattern, event.reply)), pieces));
        }
      } catch (err) {
        throw err instanceof RpcStreamError ? new ProblemError('unavailable', err.message) : err;
      }
    },
  };
}
