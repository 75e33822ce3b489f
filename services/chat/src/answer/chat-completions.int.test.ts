import type { SearchHit } from '@mandant/contracts';
import { eventually } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeChatModel, startFakeChatModel } from '../testing/index.ts';
import { chatCompletionsGenerator } from './chat-completions.ts';
import { type AnswerContext, ChatModelError, answerWith } from './generate.ts';
import { passagesFrom } from './passages.ts';

const A = '0190a000-0000-7000-8000-00000000000a';
const id = (n: number) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const hit = (n: number, snippet: string): SearchHit => ({
  chunk_id: id(100 + n),
  document_id: id(200 + n),
  title: `Doc ${n}`,
  chunk_index: 0,
  document_type: 'text',
  created_at: '2024-01-01T00:00:00.000Z',
  snippet,
  project_ids: [A],
  score: 1 / n,
  found_by: ['keyword'],
  match: 'strong',
});
const context: AnswerContext = {
  project: { name: 'Offshore leaks', description: 'Accounts in Panama' },
  scope: 'project',
  question: 'Who paid Acme Holdings?',
  connections: [],
  passages: passagesFrom([hit(1, 'Maria Gonzalez paid Acme Holdings 2.5 million USD.'), hit(2, 'Acme Holdings is registered in Panama.')]),
};

describe('chat completions over a streaming OpenAI-compatible endpoint', () => {
  let model: FakeChatModel;
  beforeAll(async () => {
    model = await startFakeChatModel();
  });
  afterAll(async () => model.close());

  it('asks with stream: true and the passages; emits each delta; maps the cited numbers back to chunks', async () => {
    model.script({ deltas: ['Maria Gonzalez paid ', 'Acme [2], registered ', 'in Panama [1] [7].'] });
    const g = chatCompletionsGenerator({ baseUrl: `${model.url}/`, model: 'test-model', apiKey: 'sk-test' });
    const pieces: string[] = [];
    const a = await g.write(context, (t) => pieces.push(t));
    const request = model.requests.at(-1);
    expect(request?.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({ model: 'test-model', stream: true, temperature: 0 });
    expect(request?.body.messages?.[0]?.content).toContain('[1] (Doc 1) Maria Gonzalez paid Acme Holdings 2.5 million USD.');
    expect(request?.body.messages?.[1]).toEqual({ role: 'user', content: 'Who paid Acme Holdings?' });
    expect(pieces).toEqual(['Maria Gonzalez paid ', 'Acme [2], registered ', 'in Panama [1] [7].']);
    expect(a).toEqual({
      content: 'Maria Gonzalez paid Acme [1], registered in Panama [2].',
      citations: [
        { document_id: id(202), chunk_id: id(102), project_ids: [A] },
        { document_id: id(201), chunk_id: id(101), project_ids: [A] },
      ],
      generator: 'test-model',
    });
  });

  it('hands out the first delta while the model still holds the last', async () => {
    model.script({ deltas: ['First ', 'second ', 'last.'], holdLast: true });
    const completed = model.completed;
    const g = chatCompletionsGenerator({ baseUrl: model.url, model: 'm' });
    const pieces: string[] = [];
    const done = g.write(context, (t) => pieces.push(t));
    await eventually(() => expect(pieces[0]).toBe('First '), 'the first delta arrives before the last is sent');
    expect(model.completed).toBe(completed);
    model.release();
    expect((await done).content).toBe('First second last.');
  });

  it('stops the HTTP request when the caller aborts', async () => {
    model.script({ deltas: ['One ', 'two ', 'three.'], holdLast: true });
    const before = model.aborted;
    const stop = new AbortController();
    const g = chatCompletionsGenerator({ baseUrl: model.url, model: 'm' });
    const done = g.write(context, () => stop.abort(new Error('client left')), stop.signal);
    await expect(done).rejects.toThrow('client left');
    await eventually(() => expect(model.aborted).toBe(before + 1), 'the model sees its client go');
  });

  it('fails with a named error on an HTTP error, a cut stream, an idle model, an oversized answer or no content', async () => {
    const cases: [Parameters<FakeChatModel['script']>[0], Partial<Parameters<typeof chatCompletionsGenerator>[0]['limits']>, RegExp][] = [
      [{ deltas: [], status: 500 }, {}, /HTTP 500/],
      [{ deltas: ['a', 'b', 'c'], breakAfter: 1 }, {}, /cut off|before the answer was complete/],
      [{ deltas: ['a', 'b'], delayMs: 5_000 }, { idleMs: 100 }, /paused longer/],
      [{ deltas: ['12345', '67890'] }, { maxChars: 8 }, /exceeds 8 characters/],
      [{ deltas: [] }, {}, /without content/],
    ];
    for (const [script, limits, message] of cases) {
      model.script(script);
      const g = chatCompletionsGenerator({ baseUrl: model.url, model: 'm', limits });
      const err = await answerWith(g, context).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChatModelError);
      expect((err as Error).message).toMatch(message);
    }
    await expect(answerWith(chatCompletionsGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }), context)).rejects.toBeInstanceOf(
      ChatModelError,
    );
  });
});
