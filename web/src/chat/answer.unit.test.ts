import { describe, expect, it } from 'vitest';
import { applyEvent, citationHref, pendingAnswer, titleFrom } from './answer.ts';

const message = {
  id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e70',
  role: 'assistant' as const,
  content: 'Acme paid [1].',
  created_at: '2026-12-02T09:00:03.000Z',
  citations: [],
};

describe('applyEvent', () => {
  it('appends tokens, then takes the recorded message whole', () => {
    let s = pendingAnswer('Who paid?');
    s = applyEvent(s, { event: 'token', data: { text: 'Acme ' } });
    s = applyEvent(s, { event: 'token', data: { text: 'paid' } });
    expect(s.text).toBe('Acme paid');
    s = applyEvent(s, { event: 'done', data: message });
    expect(s.done).toEqual(message);
    expect(s.text).toBe('Acme paid [1].');
    // nothing after the end changes it
    expect(applyEvent(s, { event: 'token', data: { text: 'more' } })).toBe(s);
  });

  it('keeps the problem of an error event and ignores events it does not know or cannot read', () => {
    let s = pendingAnswer('q');
    s = applyEvent(s, { event: 'ping', data: {} });
    s = applyEvent(s, { event: 'token', data: 'not an object' });
    s = applyEvent(s, { event: 'done', data: { id: 1 } });
    expect(s).toEqual(pendingAnswer('q'));
    s = applyEvent(s, { event: 'error', data: { status: 503, title: 'Service unavailable', detail: 'the chat model did not answer' } });
    expect(s.problem).toEqual({ status: 503, title: 'Service unavailable', detail: 'the chat model did not answer' });
  });
});

describe('citationHref', () => {
  const projects = [
    { id: 'A1', slug: 'alpha' },
    { id: 'b2', slug: 'beta' },
  ];
  const citation = { document_id: 'd', chunk_id: 'c', project_ids: ['a1', 'b2'] };

  it('opens the passage in the conversation’s project when the document is in it, else in another of the reader’s', () => {
    expect(citationHref(citation, projects, 'b2')).toBe('/projects/beta/files/d?chunk=c');
    expect(citationHref(citation, projects, null)).toBe('/projects/alpha/files/d?chunk=c');
    expect(citationHref({ ...citation, project_ids: ['zz'] }, projects, 'b2')).toBe('/global/files/d?chunk=c');
  });
});

describe('titleFrom', () => {
  it('keeps a short question and cuts a long one at a word', () => {
    expect(titleFrom('  Who  paid\nwhom? ')).toBe('Who paid whom?');
    const long = titleFrom('Which shipping companies paid the harbour master in Hamburg between 2019 and 2021, and how much?');
    expect(long.length).toBeLessThanOrEqual(61);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('hostile streams', () => {
  it('never throws on any event, only grows the text by token texts, and ignores everything after the end', async () => {
    const fc = (await import('fast-check')).default;
    const anyEvent = fc.record({
      event: fc.oneof(fc.constantFrom('token', 'done', 'error', 'message'), fc.string()),
      data: fc.oneof(fc.jsonValue(), fc.record({ text: fc.string() }), fc.constant(message)),
    });
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 30 }), (events) => {
        let s = pendingAnswer('q');
        for (const e of events) {
          const before = s;
          s = applyEvent(s, e);
          if (before.done || before.problem) expect(s).toBe(before);
          else if (!s.done && !s.problem) expect(s.text.startsWith(before.text)).toBe(true);
        }
      }),
    );
  });

  it('builds citation links that stay inside the console, whatever the ids', async () => {
    const fc = (await import('fast-check')).default;
    // (dot segments aside: the API's ids are UUIDs and its slugs letters, digits and dashes)
    const segment = fc.string().filter((x) => x !== '.' && x !== '..');
    fc.assert(
      fc.property(segment, segment, segment, (documentId, chunkId, slug) => {
        const href = citationHref({ document_id: documentId, chunk_id: chunkId, project_ids: ['p'] }, [{ id: 'p', slug }], 'p');
        const url = new URL(href, 'https://console.example');
        expect(url.origin).toBe('https://console.example');
        expect(url.pathname.split('/').slice(0, 2)).toEqual(['', 'projects']);
        expect(decodeURIComponent(url.pathname.split('/')[4] ?? '')).toBe(documentId);
        expect(url.searchParams.get('chunk')).toBe(chunkId);
      }),
    );
  });
});
