import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathOfState, stateOfLocation } from './projectState.ts';

describe('project state', () => {
  it('saves the view, its query and the search filters of a project page', () => {
    expect(stateOfLocation('/projects/leaks/search', '?q=Valletta&mode=keyword')).toEqual({
      view: 'search',
      query: 'q=Valletta&mode=keyword',
      search: { q: 'Valletta', mode: 'keyword', type: '', from: '', to: '', entity: '' },
    });
    expect(stateOfLocation('/projects/leaks/files/0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f', '?chunk=x')).toMatchObject({
      view: 'files/0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f',
      document_id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f',
    });
  });

  it('keeps what it remembers of other views (the last conversation) beside the current one', () => {
    expect(stateOfLocation('/projects/leaks/files', '', { conversation_id: 'c1' })).toEqual({
      view: 'files',
      query: '',
      conversation_id: 'c1',
    });
  });

  it('saves nothing outside a project page', () => {
    expect(stateOfLocation('/global/search', '?q=x')).toBeNull();
    expect(stateOfLocation('/admin/members', '')).toBeNull();
    expect(stateOfLocation('/projects/leaks/unknown', '')).toBeNull();
  });

  it('restores a saved state as a URL of the same project, without a stray "?"', () => {
    expect(pathOfState('leaks', { view: 'search', query: 'q=Valletta' })).toBe('/projects/leaks/search?q=Valletta');
    expect(pathOfState('leaks', { view: 'files', query: '' })).toBe('/projects/leaks/files');
    expect(pathOfState('leaks', {})).toBe('/projects/leaks/files');
    expect(pathOfState('leaks', null)).toBe('/projects/leaks/files');
  });

  it('a state that went round the server and back restores the same page', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('files', 'search', 'graph', 'chat', 'files/abc-123', 'chat/0193a1f2'),
        fc.dictionary(fc.constantFrom('q', 'mode', 'type', 'from', 'to', 'entity', 'page'), fc.string({ maxLength: 20 })),
        (view, params) => {
          const query = new URLSearchParams(params).toString();
          const saved = stateOfLocation(`/projects/p/${view}`, query ? `?${query}` : '');
          expect(pathOfState('p', JSON.parse(JSON.stringify(saved)))).toBe(`/projects/p/${view}${query ? `?${query}` : ''}`);
        },
      ),
    );
  });

  it('never leaves the project for any state the server answers', () => {
    fc.assert(
      fc.property(fc.anything(), (state) => {
        const path = pathOfState('p', state);
        expect(path.startsWith('/projects/p/')).toBe(true);
        expect(new URL(path, 'https://console.example').pathname).toMatch(/^\/projects\/p\/(files|search|graph|chat)(\/[0-9A-Za-z-]+)?$/);
      }),
    );
    fc.assert(
      fc.property(fc.record({ view: fc.string(), query: fc.string() }), (state) => {
        expect(new URL(pathOfState('p', state), 'https://console.example').origin).toBe('https://console.example');
      }),
    );
  });
});
