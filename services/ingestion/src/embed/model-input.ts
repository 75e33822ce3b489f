import * as tokenizers from '@huggingface/tokenizers';
import type { EmbedPurpose } from './embedder.ts';
import type { LocalModel } from './local-models.ts';
import { truncateIds } from './pooling.ts';

/**
 * What a BERT-style model reads for a text: the purpose's prefix, the WordPiece ids, wrapped in
 * [CLS] … [SEP] and cut to `maxTokens` (the [SEP] kept). Built from the tokenizer's JSON (the
 * Hugging Face `tokenizer.json` format), so it is tested without a model file.
 */
export interface ModelInput {
  ids(text: string, purpose: EmbedPurpose): number[];
  /** the tokens a passage takes, prefix and special tokens included, before any cut */
  count(text: string): number;
  padId: number;
}

/**
 * The part of @huggingface/tokenizers' `Tokenizer` used here. Its published type declarations
 * import their own files without extensions, which Node's ESM resolution (our `nodenext`)
 * cannot follow, so the class is typed here rather than through them.
 */
interface WordPieceTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
}
const { Tokenizer } = tokenizers as unknown as { Tokenizer: new (json: object, config: object) => WordPieceTokenizer };

export class TokenizerFormatError extends Error {
  override readonly name = 'TokenizerFormatError';
}

/** Before tokenizing, a text is cut to this many characters per token the model reads: no real text needs more, and a megabyte costs no more than a chunk. */
export const CHARS_PER_TOKEN_CAP = 24;

export function modelInput(model: Pick<LocalModel, 'id' | 'maxTokens' | 'prefix'>, tokenizerJson: unknown): ModelInput {
  const vocab = (tokenizerJson as { model?: { vocab?: Record<string, number> } } | null)?.model?.vocab;
  const special = (token: string): number => {
    const id = vocab?.[token];
    if (id === undefined) throw new TokenizerFormatError(`the tokenizer of ${model.id} has no ${token}`);
    return id;
  };
  const cls = special('[CLS]');
  const sep = special('[SEP]');
  const padId = special('[PAD]');
  const tokenizer = new Tokenizer(tokenizerJson as object, {});
  const content = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false }).ids;
  return {
    padId,
    ids(text, purpose) {
      const ids = content(model.prefix[purpose] + text.slice(0, model.maxTokens * CHARS_PER_TOKEN_CAP));
      return truncateIds([cls, ...ids.slice(0, model.maxTokens), sep], model.maxTokens, sep);
    },
    count: (text) => content(model.prefix.passage + text).length + 2,
  };
}
