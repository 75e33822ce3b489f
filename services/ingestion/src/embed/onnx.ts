import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Embedder } from './embedder.ts';
import { type LocalModel, modelFiles } from './local-models.ts';
import { CHARS_PER_TOKEN_CAP, modelInput } from './model-input.ts';
import { type PaddedBatch, batchesByLength, padBatch, poolAndNormalise } from './pooling.ts';

/**
 * A local sentence encoder run in-process with onnxruntime (CPU): no network, no provider.
 * Texts are tokenized, cut to the model's input length (the closing [SEP] kept), sorted by
 * length and run in batches of `batchSize` padded to their longest text (one text each by
 * default, see `batchSize`); the token vectors are pooled (mean under the attention mask, or
 * [CLS]) and L2-normalised.
 *
 * One inference runs at a time on `threads` intra-op threads, so a process never takes more
 * cores than that for embedding. onnxruntime-node computes on the thread that calls it, so the
 * session lives in a worker thread of its own (`WORKER_SOURCE`), started on first use and kept:
 * the event loop stays free while a model computes, and a query waits for at most the inference
 * in progress, not for a whole document. Build one embedder per model and process (the
 * registry does). The worker does not keep the process alive when idle.
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
   * and of how a document was batched; on two cores larger batches were not reliably faster
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

  const thread = inferenceThread(model.id, files.onnx, threads);

  // one inference at a time: each waits for the previous one to settle
  let queue: Promise<unknown> = Promise.resolve();
  const run = (rows: number[][]): Promise<number[][]> => {
    const result = queue.then(async () => {
      const batch = padBatch(rows, input.padId);
      const { hidden, dims } = await thread.run(batch);
      if (dims[2] !== model.dimension)
        throw new EmbeddingModelError(`${model.id} returned vectors of dimension ${dims[2]}, not ${model.dimension}`);
      return poolAndNormalise(hidden, batch.attentionMask, { ...batch, dimension: model.dimension }, model.pooling);
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

const ORT_PATH = createRequire(import.meta.url).resolve('onnxruntime-node');

/**
 * The inference thread's program, plain CommonJS so that it runs the same under tsx, vitest and
 * node: it loads the session once, then answers `{ id, inputIds, attentionMask, tokenTypeIds,
 * dims }` with `{ id, hidden, dims }` (the last hidden state, handed over) or `{ id, error }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const session = ort.InferenceSession.create(workerData.modelPath, {
  intraOpNumThreads: workerData.threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // idle pool threads sleep instead of spinning on cores the rest of the process needs
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
session.catch(() => {}); // reported with each request
parentPort.on('message', async (msg) => {
  try {
    const s = await session;
    const output = await s.run({
      input_ids: new ort.Tensor('int64', msg.inputIds, msg.dims),
      attention_mask: new ort.Tensor('int64', msg.attentionMask, msg.dims),
      token_type_ids: new ort.Tensor('int64', msg.tokenTypeIds, msg.dims),
    });
    const hidden = output.last_hidden_state;
    if (!hidden) throw new Error('the model returned no last_hidden_state');
    const data = new Float32Array(hidden.data);
    parentPort.postMessage({ id: msg.id, hidden: data, dims: hidden.dims }, [data.buffer]);
    for (const t of Object.values(output)) t.dispose();
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err instanceof Error ? err.name + ': ' + err.message : String(err) });
  }
});
`;

/**
 * The worker thread holding one model's session. Replies are matched to requests by id; a
 * worker that fails or exits fails what it had pending, and the next request starts a new one.
 */
function inferenceThread(
  id: string,
  modelPath: string,
  threads: number,
): { run(batch: PaddedBatch): Promise<{ hidden: Float32Array; dims: readonly number[] }> } {
  interface Reply {
    id: number;
    hidden?: Float32Array;
    dims?: number[];
    error?: string;
  }
  type Pending = { resolve: (r: { hidden: Float32Array; dims: readonly number[] }) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let nextId = 0;

  const failAll = (error: EmbeddingModelError): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const start = (): Worker => {
    // no loaders or preloads of the parent (tsx, telemetry): the worker is plain JavaScript
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath: ORT_PATH, modelPath, threads }, execArgv: [] });
    w.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.hidden && reply.dims) p.resolve({ hidden: reply.hidden, dims: reply.dims });
      else p.reject(new EmbeddingModelError(`inference with ${id} (${modelPath}) failed: ${reply.error ?? 'no output'}`));
    });
    w.on('error', (cause) => {
      worker = undefined;
      failAll(new EmbeddingModelError(`the inference thread of ${id} failed`, { cause }));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new EmbeddingModelError(`the inference thread of ${id} exited with code ${code}`));
    });
    return w;
  };

  return {
    run(batch) {
      const w = (worker ??= start());
      w.ref(); // kept alive while an inference is pending
      const requestId = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(requestId, { resolve, reject });
        const { inputIds, attentionMask, tokenTypeIds } = batch;
        // the mask is copied (pooling reads it here); the ids are handed over
        const message = { id: requestId, inputIds, attentionMask, tokenTypeIds, dims: [batch.rows, batch.columns] };
        w.postMessage(message, [inputIds.buffer as ArrayBuffer, tokenTypeIds.buffer as ArrayBuffer]);
      });
    },
  };
}
