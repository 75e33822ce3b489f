import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
// the platform package depends on this one: the harness is imported, not declared, to keep the workspace graph acyclic
import { type Harness, OPERATOR, ok, startHarness } from '@mandant/platform/testing';
import { type FakeChatModel, startFakeChatModel } from './testing/index.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

interface SseEvent {
  event: string;
  data: any;
}

/** Reads server-sent events off a response as they arrive: `next()` waits for the following one (null at the end). */
function sseReader(res: Response) {
  if (!res.body) throw new Error('no body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<SseEvent | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) continue;
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
          return { event, data: JSON.parse(data) };
        }
        const { done, value } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    async rest(): Promise<SseEvent[]> {
      const all: SseEvent[] = [];
      for (let e = await this.next(); e; e = await this.next()) all.push(e);
      return all;
    },
  };
}

// the services' RPC over NATS (as deployed) and over the in-process hub (the embedded default of `npm start`)
const transports: { transport: string; env: Record<string, string> }[] = [
  { transport: 'NATS', env: {} },
  { transport: 'the in-process hub', env: { NATS_URL: 'in-process' } },
];

describe.skipIf(!pg || natsMissing).each(transports)(
  'chat answers streamed from a chat model, through $transport, to the HTTP client',
  ({ env }) => {
    let h: Harness;
    let model: FakeChatModel;
    let key = '';
    let tenantId = '';
    let projectId = '';
    let doc = '';

    beforeAll(async () => {
      if (!pg) return;
      model = await startFakeChatModel();
      h = await startHarness({
        ownerUrl: pg.ownerUrl,
        env: { ...env, CHAT_URL: model.url, CHAT_MODEL: 'fake-stream', CHAT_API_KEY: 'sk-fake' },
      });
      const t = await ok(
        h.client(OPERATOR).POST('/tenants', { body: { name: 'Streams', slug: `chat-stream-${randomUUID().slice(0, 6)}` } }),
      );
      key = t.admin_api_key;
      tenantId = t.tenant.id;
      const api = h.client(key);
      projectId = (await ok(api.POST('/projects', { body: { name: 'Harbour bribes' } }))).id;
      doc = (
        await ok(
          api.POST('/projects/{id}/documents', {
            params: { path: { id: projectId } },
            body: { title: 'Ledger', content: 'Acme Holdings paid Mayor Quill 2.5 million USD on 12.03.2019. Mr. J. R. Smith signed.' },
          }),
        )
      ).id;
      await eventually(
        async () => (await ok(api.GET('/documents/{id}', { params: { path: { id: doc } } }))).status === 'processed',
        `document ${doc} to be processed`,
      );
      const position = (await ok(api.GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;
      await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
    });
    afterAll(async () => {
      await h?.stop();
      await model?.close();
    });

    const newConversation = async () =>
      (await ok(h.client(key).POST('/projects/{id}/chat/conversations', { params: { path: { id: projectId } }, body: {} }))).id;
    const ask = (conversation: string, signal?: AbortSignal) =>
      fetch(`${h.api}/chat/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ content: 'Who paid Mayor Quill?', stream: true }),
        signal,
      });
    const answersRecorded = async (conversation: string) => {
      const { events } = await ok(h.client(key).GET('/events', { params: { query: { after: 0, limit: 1000 } } }));
      return events.filter((e) => e.stream === `conversation-${conversation}` && e.type === 'conversation.answered.v1');
    };

    it('the first token reaches the client while the model still holds its last delta; the stored answer is the streamed text', async () => {
      model.script({ deltas: ['Acme Holdings ', 'paid Mayor Quill ', '2.5 million USD [1].'], holdLast: true });
      const completed = model.completed;
      const conversation = await newConversation();
      const res = await ask(conversation);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const sse = sseReader(res);
      expect(await sse.next()).toEqual({ event: 'token', data: { text: 'Acme Holdings ' } });
      // the condition that proves streaming: the model has not finished, and sends its last delta only now
      expect(model.completed).toBe(completed);
      model.release();
      const rest = await sse.rest();
      const tokens = ['Acme Holdings ', ...rest.filter((e) => e.event === 'token').map((e) => e.data.text as string)];
      const done = rest.at(-1);
      expect(done?.event).toBe('done');
      expect(tokens.join('')).toBe('Acme Holdings paid Mayor Quill 2.5 million USD [1].');
      expect(done?.data).toMatchObject({ role: 'assistant', content: tokens.join(''), scope: 'project' });
      expect(done?.data.citations).toEqual([expect.objectContaining({ document_id: doc, title: 'Ledger' })]);
      const read = await ok(h.client(key).GET('/chat/conversations/{id}', { params: { path: { id: conversation } } }));
      expect(read.messages?.find((m) => m.role === 'assistant')).toMatchObject({ id: done?.data.id, content: tokens.join('') });
      expect(await answersRecorded(conversation)).toHaveLength(1);
      expect(model.requests.at(-1)?.body.stream).toBe(true);
    });

    it("a client that leaves stops the model's request, and nothing is recorded", async () => {
      model.script({ deltas: ['Acme ', 'paid ', 'nobody.'], holdLast: true });
      const aborted = model.aborted;
      const conversation = await newConversation();
      const leave = new AbortController();
      const sse = sseReader(await ask(conversation, leave.signal));
      expect((await sse.next())?.event).toBe('token');
      leave.abort();
      await eventually(() => model.aborted === aborted + 1, "the model to see its client's request aborted");
      expect(await answersRecorded(conversation)).toEqual([]);
    });

    it('a model that fails mid-answer ends the stream with event: error carrying a problem; nothing is recorded', async () => {
      model.script({ deltas: ['Acme ', 'paid ', 'Quill.'], breakAfter: 1 });
      const conversation = await newConversation();
      const events = await sseReader(await ask(conversation)).rest();
      expect(events[0]).toEqual({ event: 'token', data: { text: 'Acme ' } });
      expect(events.at(-1)?.event).toBe('error');
      expect(events.at(-1)?.data).toMatchObject({
        status: 503,
        type: expect.stringMatching(/service-unavailable$/),
        correlation_id: expect.any(String),
      });
      expect(events.map((e) => e.event)).not.toContain('done');
      expect(await answersRecorded(conversation)).toEqual([]);
    });

    it('a model that fails before its first word leaves an extractive answer, streamed sentence by sentence, numbers intact', async () => {
      model.script({ deltas: [], status: 500 });
      const conversation = await newConversation();
      const events = await sseReader(await ask(conversation)).rest();
      const done = events.at(-1);
      expect(done?.event).toBe('done');
      const text = events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text as string)
        .join('');
      expect(text).toBe(done?.data.content);
      expect(done?.data.content).toContain('Acme Holdings paid Mayor Quill 2.5 million USD on 12.03.2019. [1]');
    });

    it('refusals before the first token stay problem+json', async () => {
      const res = await ask(randomUUID());
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });
  },
);
