import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelInput, TokenizerFormatError } from './model-input.ts';

/** A tiny BERT WordPiece tokenizer in the tokenizer.json format the bundled models ship. */
const vocabList = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'query', ':', 'passage', 'find', 'the', 'bank', 'money', '##s', 'x'];
const vocab = Object.fromEntries(vocabList.map((t, i) => [t, i]));
const tokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })),
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: null,
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
};
const id = (t: string): number => vocab[t] ?? -1;
const [CLS, SEP, UNK] = [id('[CLS]'), id('[SEP]'), id('[UNK]')];

describe('modelInput', () => {
  const plain = modelInput({ id: 'm', maxTokens: 8, prefix: { query: '', passage: '' } }, tokenizerJson);
  const prefixed = modelInput({ id: 'e5', maxTokens: 8, prefix: { query: 'query: ', passage: 'passage: ' } }, tokenizerJson);

  it('wraps the WordPiece ids in [CLS] … [SEP], lower-cased', () => {
    expect(plain.ids('Find the BANKS', 'passage')).toEqual([CLS, id('find'), id('the'), id('bank'), id('##s'), SEP]);
    expect(plain.padId).toBe(id('[PAD]'));
  });

  it('puts the purpose prefix before the text', () => {
    expect(prefixed.ids('money', 'query')).toEqual([CLS, id('query'), id(':'), id('money'), SEP]);
    expect(prefixed.ids('money', 'passage')).toEqual([CLS, id('passage'), id(':'), id('money'), SEP]);
  });

  it('cuts input longer than the model reads, keeping [SEP] last', () => {
    expect(plain.ids('money '.repeat(20), 'passage')).toEqual([CLS, ...new Array<number>(6).fill(id('money')), SEP]);
    expect(prefixed.ids('money '.repeat(20), 'query')).toEqual([CLS, id('query'), id(':'), ...new Array<number>(4).fill(id('money')), SEP]);
  });

  it('counts what a passage takes, prefix and special tokens included, before any cut', () => {
    expect(plain.count('')).toBe(2);
    expect(plain.count('money '.repeat(20))).toBe(22);
    expect(prefixed.count('money')).toBe(5);
  });

  it('reads any string, megabytes, control characters and lone surrogates included, within the limit', () => {
    expect(plain.ids('x'.repeat(1_000_000), 'passage')).toEqual([CLS, UNK, SEP]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const ids = plain.ids(text, 'query');
        expect(ids.length).toBeLessThanOrEqual(8);
        expect(ids[0]).toBe(CLS);
        expect(ids[ids.length - 1]).toBe(SEP);
        expect(ids.every((i) => Number.isInteger(i) && i >= 0 && i < vocabList.length)).toBe(true);
      }),
    );
  });

  it('refuses a tokenizer without the BERT special tokens', () => {
    expect(() => modelInput({ id: 'm', maxTokens: 8, prefix: { query: '', passage: '' } }, { model: { vocab: {} } })).toThrow(
      TokenizerFormatError,
    );
  });
});
