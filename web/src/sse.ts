/** One server-sent event: its name (`message` when the server named none) and its data parsed as JSON when it is JSON. */
export interface ServerEvent {
  event: string;
  data: unknown;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/**
 * Reads a `text/event-stream` body as it arrives (fetch, never EventSource: the session cookie
 * and CSRF header go with the request, and no credential ends up in a URL), calling `onEvent`
 * per event. Resolves when the server ends the stream; an abort of the request's signal ends it too.
 */
export async function readEvents(body: ReadableStream<Uint8Array> | null, onEvent: (e: ServerEvent) => void): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // a comment: heartbeats
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length > 0) onEvent({ event, data: parse(data.join('\n')) });
    }
  }
}
