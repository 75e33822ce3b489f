import { describe, expect, it } from 'vitest';
import { MATCH_END, MATCH_START, snippetHtml, withoutSentinels } from './snippet.ts';

describe('snippetHtml', () => {
  it('turns engine match marks into <mark> and escapes everything else', () => {
    expect(snippetHtml(`a <b>&</b> ${MATCH_START}leak${MATCH_END} "q" 'x'`)).toBe(
      'a &lt;b&gt;&amp;&lt;/b&gt; <mark>leak</mark> &quot;q&quot; &#39;x&#39;',
    );
  });

  it('always yields balanced marks', () => {
    expect(snippetHtml(`${MATCH_START}a${MATCH_START}b`)).toBe('<mark>ab</mark>');
    expect(snippetHtml(`a${MATCH_END}b`)).toBe('ab');
  });

  it('strips the markers from indexed text', () => {
    expect(withoutSentinels(`x${MATCH_START}y${MATCH_END}`)).toBe('xy');
  });
});
