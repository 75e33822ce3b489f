import { randomUUID } from 'node:crypto';
import { type RpcReply, rpc as patterns } from '@mandant/contracts';
import { type RpcStreamEvent, RpcStreamError } from '@mandant/shared/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { admin, start } from './gateway.fixture.ts';

// The gateway's side of GET /documents/{id}/content over real HTTP: the document service's
// streamed pieces (replaced by a stub) joined into one answer, refusals and broken streams mapped.

describe("a document's text joined from streamed pieces", () => {
  let s: Awaited<ReturnType<typeof start>>;
  const doc = randomUUID();
  const chunk = randomUUID();
  const answer = (pieces: number, text = '') => ({
    document_id: doc,
    title: 'Memo',
    text,
    truncated: false,
    pieces,
    chunks: [{ chunk_id: chunk, index: 0, start: 0, end: 5 }],
  });
  let events: () => AsyncGenerator<RpcStreamEvent<unknown>> = async function* () {};
  const asked: unknown[] = [];

  beforeAll(async () => {
    s = await start();
    s.rpc.client.stream = (pattern, req) => {
      asked.push({ pattern, principal: req.principal, input: req.input });
      return events() as AsyncGenerator<never>;
    };
  });
  afterAll(async () => {
    await s?.gateway.close();
  });
  beforeEach(() => {
    asked.length = 0;
  });

  it('joins the pieces in order into the text and answers the documented shape, without the piece count', async () => {
    events = async function* () {
      yield { type: 'chunk', data: { text: 'Acme ' } };
      yield { type: 'chunk', data: { text: 'paid 😀.' } };
      yield { type: 'end', reply: { ok: true, value: answer(2) } };
    };
    const res = await s.call('GET', `/documents/${doc}/content`, { token: 'mnd_admin' });
    expect(res.status).toBe(200);
    const { pieces: _pieces, ...expected } = answer(2, 'Acme paid 😀.');
    expect(res.body).toEqual(expected);
    expect(asked).toEqual([{ pattern: patterns.documentContent, principal: admin, input: { document_id: doc } }]);
  });

  it('passes a refusal on as its problem, and answers 503 for a stream cut short or broken on the way', async () => {
    events = async function* () {
      yield {
        type: 'end',
        reply: { ok: false, error: { code: 'conflict', message: 'the document is processing', details: {} } } as RpcReply,
      };
    };
    const refused = await s.call('GET', `/documents/${doc}/content`, { token: 'mnd_admin' });
    expect([refused.status, refused.body.type, refused.body.detail]).toEqual([
      409,
      'https://mandant.dev/problems/conflict',
      'the document is processing',
    ]);

    events = async function* () {
      yield { type: 'chunk', data: { text: 'Acme ' } };
      yield { type: 'end', reply: { ok: true, value: answer(2) } };
    };
    const cut = await s.call('GET', `/documents/${doc}/content`, { token: 'mnd_admin' });
    expect([cut.status, cut.body.type]).toEqual([503, 'https://mandant.dev/problems/service-unavailable']);

    events = async function* () {
      yield { type: 'chunk', data: { text: 'Acme ' } };
      throw new RpcStreamError('stream document.content silent for 15000 ms: its service is gone');
    };
    const broken = await s.call('GET', `/documents/${doc}/content`, { token: 'mnd_admin' });
    expect([broken.status, broken.body.type]).toEqual([503, 'https://mandant.dev/problems/service-unavailable']);
  });

  it('answers a malformed id like an unknown document, without asking the service', async () => {
    const res = await s.call('GET', '/documents/not-a-uuid/content', { token: 'mnd_admin' });
    expect(res.status).toBe(404);
    expect(asked).toEqual([]);
  });
});
