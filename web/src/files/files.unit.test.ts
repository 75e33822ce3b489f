import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DocumentView, applyStatusEvent, formatBytes, isUnsettled, titleOf } from './format.ts';
import { cutAtPassage } from './passage.ts';
import { describeRefusal } from './upload.ts';

const doc: DocumentView = {
  id: 'd1',
  title: null,
  status: 'pending',
  kind: 'text',
  content_type: 'text/plain',
  size: 10,
  content_sha256: 'x',
  project_ids: ['p1'],
  chunk_count: 0,
  entity_count: 0,
  pages: null,
  embeddings: [],
  failure: null,
  uploaded_by: 'user:u',
  created_at: '2026-12-02T09:00:00.000Z',
  updated_at: '2026-12-02T09:00:00.000Z',
};

describe('files', () => {
  it('writes sizes for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB');
    expect(formatBytes(-1)).toBe('—');
  });

  it('names an untitled document by its kind', () => {
    expect(titleOf(doc)).toBe('Untitled text document');
    expect(titleOf({ ...doc, title: 'Memo' })).toBe('Memo');
  });

  it('applies a status event of the same document only', () => {
    const processed = applyStatusEvent(doc, {
      id: 'd1',
      status: 'processed',
      failure: null,
      chunk_count: 4,
      entity_count: 7,
      updated_at: 'later',
    });
    expect(processed).toMatchObject({ status: 'processed', chunk_count: 4, entity_count: 7, updated_at: 'later' });
    expect(isUnsettled(processed.status)).toBe(false);
    expect(applyStatusEvent(doc, { id: 'other', status: 'processed' })).toBe(doc);
    const failed = applyStatusEvent(doc, { id: 'd1', status: 'failed', failure: { code: 'extract', message: 'unreadable PDF' } });
    expect(failed.failure).toEqual({ code: 'extract', message: 'unreadable PDF' });
  });

  it('ignores any event that does not parse as a status', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const next = applyStatusEvent(doc, data);
        expect(['pending', 'processing', 'processed', 'failed', 'deleted']).toContain(next.status);
        expect(next.id).toBe('d1');
      }),
    );
  });

  it('marks a passage inside the text, nothing for a span outside it', () => {
    expect(cutAtPassage('abcdef', { start: 2, end: 4 })).toEqual({ before: 'ab', passage: 'cd', after: 'ef' });
    expect(cutAtPassage('abc', { start: 2, end: 9 })).toEqual({ before: 'abc', passage: null, after: '' });
    expect(cutAtPassage('abc', undefined)).toEqual({ before: 'abc', passage: null, after: '' });
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.integer(), (text, start, end) => {
        const parts = cutAtPassage(text, { start, end });
        expect(parts.before + (parts.passage ?? '') + parts.after).toBe(text);
      }),
    );
  });

  it('says why an upload was refused', () => {
    expect(describeRefusal(413, { detail: 'over 50 MB' }, null)).toBe('Too large: over 50 MB');
    expect(describeRefusal(415, {}, null)).toMatch(/^Unsupported type/);
    expect(describeRefusal(429, {}, '7')).toMatch(/Rate limited.*7 s/);
    expect(describeRefusal(429, {}, '<b>')).not.toContain('<b>');
    expect(describeRefusal(500, { title: 'Internal error' }, null)).toBe('Internal error');
  });
});
