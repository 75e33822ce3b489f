import { type Generator, ChatModelError, systemPrompt } from './generate.ts';
import { mapCitations } from './passages.ts';

/** How long and how much a model's answer may take; past any of them the answer fails with a ChatModelError. */
export interface ChatLimits {
  /** from the request to the first piece of text */
  firstTokenMs: number;
  /** between two pieces of text */
  idleMs: number;
  /** the whole answer */
  totalMs: number;
  /** characters of answer text */
  maxChars: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = { firstTokenMs: 60_000, idleMs: 30_000, totalMs: 180_000, maxChars: 32_000 };

type Delta = {
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
  error?: unknown;
};

/**
 * The `data:` payloads of a server-sent event stream, as they arrive. Lines of one event are
 * joined; comments and other fields are skipped (the chat completions API sends data only).
 */
async function* sseData(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  // cancelling the reader ends a pending read at once, whatever the HTTP client does with the signal
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', cancel, { once: true });
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r?\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        newline = buffer.search(/\r?\n/);
      }
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    cancel();
  }
  if (data.length > 0) yield data.join('\n');
}

/**
 * An OpenAI-compatible `/chat/completions` endpoint (`baseUrl` is the API root, e.g.
 * `https://api.openai.com/v1`), asked with `stream: true`: each `delta.content` is emitted as
 * it arrives, until `data: [DONE]`. Deterministic settings (temperature 0). At the end the
 * model's `[n]` markers are mapped onto the passages and markers naming no passage dropped, so
 * the answer's content is the streamed text with its markers renumbered by first use.
 *
 * Bounded: `limits` (first token, idle gap, total time, size); the caller's `signal` aborts the
 * HTTP request itself, so a client that left stops the model.
 */
export function chatCompletionsGenerator(opts: {
  baseUrl: string;
  model: string;
  apiKey?: string;
  limits?: Partial<ChatLimits>;
}): Generator {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const limits = { ...DEFAULT_CHAT_LIMITS, ...opts.limits };
  return {
    id: opts.model,
    async write(ctx, emit, signal) {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
      if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
      const body = JSON.stringify({
        model: opts.model,
        temperature: 0,
        stream: true,
        messages: [
          { role: 'system', content: systemPrompt(ctx) },
          { role: 'user', content: ctx.question },
        ],
      });
      const timer = new AbortController();
      let why = '';
      let pending: NodeJS.Timeout | undefined;
      const deadline = (ms: number, what: string) => {
        clearTimeout(pending);
        pending = setTimeout(() => {
          why = what;
          timer.abort(new ChatModelError(what));
        }, ms);
      };
      const total = setTimeout(() => {
        why = `chat model took longer than ${limits.totalMs} ms`;
        timer.abort(new ChatModelError(why));
      }, limits.totalMs);
      const aborted = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
      let text = '';
      try {
        deadline(limits.firstTokenMs, `chat model sent nothing within ${limits.firstTokenMs} ms`);
        const res = await fetch(url, { method: 'POST', headers, body, signal: aborted });
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => {});
          throw new ChatModelError(`chat model answered HTTP ${res.status}`);
        }
        const contentType = res.headers.get('content-type') ?? '';
        if (!contentType.includes('text/event-stream')) {
          // a server that ignores `stream: true` answers with one JSON body: take it whole
          const json = (await res.json().catch(() => null)) as Delta | null;
          const whole = json?.choices?.[0]?.message?.content;
          if (typeof whole === 'string') text = whole.slice(0, limits.maxChars);
          if (text) emit(text);
        } else {
          let finished = false;
          let sawFinish = false;
          for await (const data of sseData(res.body, aborted)) {
            aborted.throwIfAborted();
            if (data.trim() === '[DONE]') {
              finished = true;
              break;
            }
            let parsed: Delta;
            try {
              parsed = JSON.parse(data) as Delta;
            } catch {
              throw new ChatModelError('chat model sent an event that is not JSON');
            }
            if (parsed.error !== undefined) throw new ChatModelError('chat model reported an error mid-answer');
            if (parsed.choices?.[0]?.finish_reason) sawFinish = true;
            const piece = parsed.choices?.[0]?.delta?.content;
            if (typeof piece !== 'string' || piece === '') continue;
            if (text.length + piece.length > limits.maxChars)
              throw new ChatModelError(`chat model answer exceeds ${limits.maxChars} characters`);
            text += piece;
            emit(piece);
            deadline(limits.idleMs, `chat model paused longer than ${limits.idleMs} ms`);
          }
          // an answer is whole only with `[DONE]` or a finish reason: a body that just stops was cut off
          if (!finished && !sawFinish) throw new ChatModelError('chat model stream ended before the answer was complete');
        }
      } catch (err) {
        if (err instanceof ChatModelError) throw err;
        if (signal?.aborted) throw signal.reason;
        throw new ChatModelError(why || `chat model at ${url} unreachable or cut off`, { cause: err });
      } finally {
        clearTimeout(pending);
        clearTimeout(total);
      }
      if (text.trim() === '') throw new ChatModelError('chat model answered without content');
      return { ...mapCitations(text, ctx.passages), generator: opts.model };
    },
  };
}
