/**
 * A conservative count of the WordPiece tokens (BERT uncased vocabulary, as read by
 * all-MiniLM-L6-v2, e5-small-v2 and bge-small-en-v1.5) a text becomes, for when no tokenizer
 * is at hand: chunks measured with it still fit a 256-token model. Special tokens are not
 * counted.
 *
 * Like BERT's pre-tokenizer it splits at whitespace and gives every punctuation or symbol
 * character, and every CJK character, a token of its own. A run of letters costs one token
 * per 3 letters (at least one), a run of digits one per 2 digits: common English words are
 * one WordPiece each, so English text is over-counted about twofold, while German compounds,
 * names and numbers, which WordPiece cuts into pieces of 2 to 4 characters, come close to the
 * estimate. Measured against the real tokenizer on English and German prose, CSV rows,
 * amounts and identifiers, the real count stayed below it (see token-estimate.unit.test.ts).
 *
 * Known limit: a run of random letters (hashes, base64) can take a token for every 1–2
 * characters and so exceed the estimate; the embedder cuts such input at its limit.
 */
const LETTERS_PER_TOKEN = 3;
const DIGITS_PER_TOKEN = 2;

const SEGMENT = /(\p{L}[\p{L}\p{M}]*)|(\p{Nd}+)|[^\s]/gu;
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;

export function estimateWordPieceTokens(text: string): number {
  let tokens = 0;
  for (const m of text.matchAll(SEGMENT)) {
    const [whole, letters, digits] = m;
    if (letters !== undefined) {
      tokens += CJK.test(letters) ? countCjkRun(letters) : Math.ceil(letters.length / LETTERS_PER_TOKEN);
    } else if (digits !== undefined) tokens += Math.ceil(digits.length / DIGITS_PER_TOKEN);
    else if (whole !== '') tokens += 1;
  }
  return tokens;
}

/** A letter run holding CJK characters: each of those a token, the rest by the letter rule. */
function countCjkRun(run: string): number {
  let tokens = 0;
  let other = 0;
  for (const ch of run) {
    if (CJK.test(ch)) {
      tokens += 1 + Math.ceil(other / LETTERS_PER_TOKEN);
      other = 0;
    } else other += 1;
  }
  return tokens + Math.ceil(other / LETTERS_PER_TOKEN);
}
