/** A document's text cut around one passage: what comes before it, the passage, what comes after. */
export interface TextAround {
  before: string;
  passage: string | null;
  after: string;
}

/**
 * Cuts `text` at a passage's [start, end) (UTF-16 offsets, as the API gives them). A span that
 * does not fit the text (a passage past a truncated text's end, a bad URL) marks nothing.
 */
export function cutAtPassage(text: string, span: { start: number; end: number } | undefined): TextAround {
  if (
    !span ||
    !Number.isInteger(span.start) ||
    !Number.isInteger(span.end) ||
    span.start < 0 ||
    span.end > text.length ||
    span.start >= span.end
  )
    return { before: text, passage: null, after: '' };
  return { before: text.slice(0, span.start), passage: text.slice(span.start, span.end), after: text.slice(span.end) };
}
