import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@mandant/shared/env';
import { createOpenAiEmbedder, EmbeddingProviderError } from './openai.ts';

/**
 * A loopback stand-in for an OpenAI-compatible provider: it answers `/embeddings` with
 * vectors derived from the input, and can be told to fail first, so the real HTTP client,
 * batching and retry code run end to end without any network beyond 127.0.0.1.
 */
interface Recorded {
  url: string;
  authorization: string | undefined;
  body: { model: string; input: string[]; dimensions?: number };
}
type Reply = (req: Recorded, res: ServerResponse) => boolean;

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const vectorFor = (text: string, dimension: number): number[] => Array.from({ length: dimension }, (_, i) => (text.length + i) / 100);

async function startProvider(dimension: number, script: Reply[] = []): Promise<{ baseUrl: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const recorded: Recorded = {
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Recorded['body'],
      };
      requests.push(recorded);
      const scripted = script.shift();
      if (scripted !== undefined && scripted(recorded, res)) return;
      // answer in reverse order, as providers may, so the client must sort by index
      const data = recorded.body.input.map((t, index) => ({ object: 'embedding', index, embedding: vectorFor(t, dimension) })).reverse();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: recorded.body.model }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`, requests };
}

const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers }).end('{"error":{"message":"nope"}}');
    return true;
  };
const noSleep = async (): Promise<void> => {};

describe('createOpenAiEmbedder', () => {
  it('posts to {baseUrl}/embeddings with the key and returns vectors in input order', async () => {
    const { baseUrl, requests } = await startProvider(4);
    const embedder = createOpenAiEmbedder({ baseUrl, apiKey: 'sk-test', model: 'nomic-embed', dimension: 4 });
    const vectors = await embedder.embed(['a', 'bbb']);
    expect(vectors).toEqual([vectorFor('a', 4), vectorFor('bbb', 4)]);
    expect(requests).toEqual([
      { url: '/v1/embeddings', authorization: 'Bearer sk-test', body: { model: 'nomic-embed', input: ['a', 'bbb'] } },
    ]);
    expect(embedder).toMatchObject({ model: 'nomic-embed', dimension: 4 });
  });

  it('sends at most 64 inputs per request, one request at a time', async () => {
    const { baseUrl, requests } = await startProvider(2);
    const texts = Array.from({ length: 150 }, (_, i) => `text ${i}`);
    const vectors = await createOpenAiEmbedder({ baseUrl, model: 'm', dimension: 2, batchSize: 500 }).embed(texts);
    expect(requests.map((r) => r.body.input.length)).toEqual([64, 64, 22]);
    expect(vectors).toEqual(texts.map((t) => vectorFor(t, 2)));
  });

  it('makes no request for no texts', async () => {
    const { baseUrl, requests } = await startProvider(2);
    expect(await createOpenAiEmbedder({ baseUrl, model: 'm', dimension: 2 }).embed([])).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After', async () => {
    const { baseUrl, requests } = await startProvider(2, [status(429, { 'retry-after': '2' }), status(503)]);
    const waits: number[] = [];
    const embedder = createOpenAiEmbedder({
      baseUrl,
      model: 'm',
      dimension: 2,
      retryBaseMs: 100,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await embedder.embed(['x'])).toEqual([vectorFor('x', 2)]);
    expect(requests).toHaveLength(3);
    expect(waits).toEqual([2000, 200]);
  });

  it('gives up after maxRetries with an EmbeddingProviderError that chains the last failure', async () => {
    const { baseUrl, requests } = await startProvider(2, [status(500), status(500), status(502)]);
    const embedder = createOpenAiEmbedder({ baseUrl, model: 'm', dimension: 2, maxRetries: 2, sleep: noSleep });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingProviderError);
    expect((error as EmbeddingProviderError).details).toEqual({ status: 502, retryable: true, attempts: 3 });
    expect((error as EmbeddingProviderError).cause).toBeInstanceOf(EmbeddingProviderError);
    expect(requests).toHaveLength(3);
  });

  it('does not retry other client errors and never puts the key in the message', async () => {
    const { baseUrl, requests } = await startProvider(2, [status(401)]);
    const embedder = createOpenAiEmbedder({ baseUrl, apiKey: 'sk-secret', model: 'm', dimension: 2, sleep: noSleep });
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as EmbeddingProviderError;
    expect(error.details).toMatchObject({ status: 401, retryable: false, attempts: 1 });
    expect(error.message).not.toContain('sk-secret');
    expect(requests).toHaveLength(1);
  });

  it('retries a refused connection as a network error', async () => {
    const { baseUrl } = await startProvider(2);
    for (const s of servers.splice(0)) s.close();
    const embedder = createOpenAiEmbedder({ baseUrl, model: 'm', dimension: 2, maxRetries: 1, sleep: noSleep });
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as EmbeddingProviderError;
    expect(error).toBeInstanceOf(EmbeddingProviderError);
    expect(error.details).toMatchObject({ retryable: true, attempts: 2 });
  });

  it('fails when the provider returns vectors of another dimension', async () => {
    const { baseUrl } = await startProvider(3);
    const error = (await createOpenAiEmbedder({ baseUrl, model: 'm', dimension: 2 })
      .embed(['x'])
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(EmbeddingProviderError);
    expect(error.message).toMatch(/dimension 3, configured 2/);
  });

  it('knows the dimension of OpenAI models and asks for a shortened one when told to', async () => {
    const { baseUrl, requests } = await startProvider(256);
    expect(createOpenAiEmbedder({ baseUrl, model: 'text-embedding-3-small' }).dimension).toBe(1536);
    const short = createOpenAiEmbedder({ baseUrl, model: 'text-embedding-3-small', dimension: 256, requestDimension: true });
    await short.embed(['x']);
    expect(requests[0]?.body.dimensions).toBe(256);
    expect(short.model).toBe('text-embedding-3-small:256');
  });

  it('requires a dimension for a model it does not know', () => {
    expect(() => createOpenAiEmbedder({ baseUrl: 'http://127.0.0.1:1', model: 'mystery' })).toThrow(ConfigError);
  });
});
