import { HTMLElement, parse, TextNode, type Node } from 'node-html-parser';
import { empty } from './errors.ts';
import { cleanTitle, tidyText } from './tidy.ts';
import type { Extracted } from './extract.ts';

/**
 * HTML to readable text: scripts, styles and other non-content elements are dropped, block
 * elements become paragraphs, `<br>` a line break, table cells are separated by tabs.
 * Entities are decoded by the parser. Boilerplate (menus, footers) is kept: telling it apart
 * from content needs a readability heuristic, which is left for later.
 */

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'iframe', 'object', 'canvas', 'select']);
const PARAGRAPH = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'ul',
]);
const LINE = new Set(['li', 'tr', 'caption', 'option']);
const CELL = new Set(['td', 'th']);

/**
 * Accumulates text, collapsing whitespace. Separators wait until the next text arrives and the
 * strongest pending one wins, so nested blocks never stack blank lines.
 */
const STRENGTH = { '': 0, ' ': 1, '\t': 2, '\n': 3, '\n\n': 4 } as const;
type Separator = keyof typeof STRENGTH;

function createWriter() {
  let out = '';
  let pending: Separator = '';
  const want = (sep: Separator): void => {
    if (STRENGTH[sep] > STRENGTH[pending]) pending = sep;
  };
  return {
    text(raw: string, preformatted: boolean): void {
      const s = preformatted ? raw : raw.replace(/\s+/g, ' ');
      if (!preformatted && s.startsWith(' ')) want(' ');
      const body = preformatted ? s : s.trim();
      if (body === '') return;
      if (out !== '') out += pending;
      out += body;
      pending = !preformatted && s.endsWith(' ') ? ' ' : '';
    },
    separator(kind: 'paragraph' | 'line' | 'cell'): void {
      want(kind === 'paragraph' ? '\n\n' : kind === 'line' ? '\n' : '\t');
    },
    result: (): string => out,
  };
}

function walk(node: Node, writer: ReturnType<typeof createWriter>, preformatted: boolean): void {
  if (node instanceof TextNode) {
    writer.text(node.text, preformatted);
    return;
  }
  if (!(node instanceof HTMLElement)) return;
  const tag = node.rawTagName?.toLowerCase() ?? '';
  if (SKIPPED.has(tag)) return;
  if (tag === 'br') {
    writer.separator('line');
    return;
  }
  const kind = PARAGRAPH.has(tag) ? 'paragraph' : LINE.has(tag) ? 'line' : CELL.has(tag) ? 'cell' : null;
  if (kind !== null) writer.separator(kind);
  for (const child of node.childNodes) walk(child, writer, preformatted || tag === 'pre' || tag === 'textarea');
  if (kind !== null) writer.separator(kind);
}

export function extractHtml(html: string): Extracted {
  // the parser keeps a doctype or XML declaration as text, so drop them first
  const markup = html.replace(/^(?:\s*<\?[^>]*>|\s*<!doctype[^>]*>)+/i, '');
  const root = parse(markup, {
    comment: false,
    // raw-text elements: their content is never parsed as markup; `false` drops it entirely
    blockTextElements: { script: false, style: false, noscript: false, template: false, pre: true, textarea: true },
  });
  const writer = createWriter();
  walk(root, writer, false);
  const text = tidyText(writer.result());
  if (text === '') throw empty('The HTML page contains no text.');
  const title = cleanTitle(root.querySelector('title')?.text) ?? cleanTitle(root.querySelector('h1')?.text);
  return { text, ...(title === undefined ? {} : { title }) };
}
