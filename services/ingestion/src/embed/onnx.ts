import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Embedder } from './embedder.ts';
import { type LocalModel, modelFiles } from './local-models.ts';
import { CHARS_PER_TOKEN_CAP, modelInput } from './model-input.ts';
import { batchesByLength, padBatch, poolAndNormalise } from './pooling.ts';

/**
 * A local sentence encoder run in-process with onnxruntime (CPU): no network, no provider.
 * Texts are tokenized, cut to the model's input length (the closing [SEP] kept), sorted by
 * length and run in batches of `batchSize` padded to their longest text (one text each by
 * default, see `batchSize`); the token vectors are pooled (mean under the attention mask, or
 * [CLS]) and L2-normalised.
 *
 * One inference runs at a time on `threads` intra-op threads, so a process never takes more
 * cores than that for embedding. An inference holds the event loop while it computes (about
 * 15–40 ms for one 200-token chunk of MiniLM on two cores, more under load: bench/embed.ts
 * prints the longest stall), so inferences are small (one text by default) and the event loop
 * gets a turn between them; a query waits for at most the inference in progress, not for a
 * whole document. Known limit: a worker thread would remove the stall altogether. The session is
 * loaded on first use and kept: build one embedder per model and process (the registry does).
 *
 * Hostile input: any string is embedded. Before tokenizing, a text is cut to
 * `maxTokens × CHARS_PER_TOKEN_CAP` characters (far more than that many tokens of real text
 * take), so a megabyte string costs no more than a chunk; control characters and lone
 * surrogates are dropped by the tokenizer's normaliser; an empty text gets the vector of its
 * special tokens.
 */
export interface OnnxEmbedderOptions {
  model: LocalModel;
  modelsDir: string;
  /** intra-op threads of the one inference at a time (default: 2, or 1 on a single core) */
  threads?: number;
  /**
   * texts per inference (default 1). The int8 models quantise activations with one scale per
   * inference, so a text's vector shifts with the texts batched beside it (cosine ≈ 0.99 to
   * itself alone); one text per inference keeps a chunk's vector independent of its neighbours
   * and of how a document was batched, and on two cores larger batches were no faster
   * (bench/embed.ts, figures in bench/RESULTS.md).
   */
  batchSize?: number;
}

export class EmbeddingModelError extends Error {
  override readonly name = 'EmbeddingModelError';
}

export function createOnnxEmbedder(options: OnnxEmbedderOptions): Embedder {
  const { model } = options;
  const files = modelFiles(options.modelsDir, model.id);
  const batchSize = Math.max(1, options.batchSize ?? 1);
  const threads = Math.max(1, options.threads ?? Math.min(2, availableParallelism()));

  let tokenizerJson: unknown;
  try {
    tokenizerJson = JSON.parse(readFileSync(files.tokenizer, 'utf8'));
  } catch (cause) {
    throw new EmbeddingModelError(`cannot read the tokenizer of ${model.id} in ${files.dir}`, { cause });
  }
  const input = modelInput(model, tokenizerJson);

  let session: Promise<ort.InferenceSession> | undefined;
  const loadSession = (): Promise<ort.InferenceSession> => {
    session ??= ort.InferenceSession.create(files.onnx, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // idle pool threads sleep instead of spinning: on cores shared with the rest of the
      // process (and other processes) spinning threads steal the time the work needs
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    }).catch((cause: unknown) => {
      session = undefined;
      throw new EmbeddingModelError(`cannot load the ONNX model ${model.id} from ${files.onnx}`, { cause });
    });
    return session;
  };

  // one inference at a time: each waits for the previous one to settle
  let queue: Promise<unknown> = Promise.resolve();
  const run = (rows: number[][]): Promise<number[][]> => {
    const result = queue.then(async () => {
      // onnxruntime-node computes on the calling thread: a turn of the event loop between
      // inferences lets requests and messages through, so it stalls for one inference at most
      await new Promise<void>((resolve) => setImmediate(resolve));
      const s = await loadSession();
      const batch = padBatch(rows, input.padId);
      const dims = [batch.rows, batch.columns];
      const output = await s.run({
        input_ids: new ort.Tensor('int64', batch.inputIds, dims),
        attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, dims),
      });
      const hidden = output['last_hidden_state'];
      if (!hidden || hidden.dims[2] !== model.dimension) {
        throw new EmbeddingModelError(`${model.id} returned no last_hidden_state of dimension ${model.dimension}`);
      }
      const vectors = poolAndNormalise(
        hidden.data as Float32Array,
        batch.attentionMask,
        { ...batch, dimension: model.dimension },
        model.pooling,
      );
      for (const t of Object.values(output)) t.dispose();
      return vectors;
    });
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    model: model.id,
    dimension: model.dimension,
    minSimilarity: model.minSimilarity,
    tokens: {
      max: model.maxTokens,
      count: (text) => input.count(text),
    },
    async embed(texts, purpose = 'passage') {
      const vectors = new Array<number[]>(texts.length);
      // sorted by characters (a cheap stand-in for tokens), tokenized one batch at a time
      const cap = model.maxTokens * CHARS_PER_TOKEN_CAP;
      for (const indexes of batchesByLength(
        texts.map((t) => Math.min(t.length, cap)),
        batchSize,
      )) {
        const pooled = await run(indexes.map((i) => input.ids(texts[i] ?? '', purpose)));
        indexes.forEach((i, k) => (vectors[i] = pooled[k] ?? []));
      }
      return vectors;
    },
  };
}
