import { createHash } from 'node:crypto';
import { DEFAULT_CHUNK_TOKENS, chunkText, type ChunkOptions } from './chunk/chunk.ts';
import type { Embedder } from './embed/embedder.ts';
import { extractEntities, relationships, type Mention, type Relationship } from './entities/extract.ts';
import { ExtractionError, extractText, type ExtractionErrorCode } from './extract/extract.ts';
import { sniff, type DocumentKind } from './extract/sniff.ts';
import { cleanTitle } from './extract/tidy.ts';

/**
 * One document from raw bytes to everything the read side needs: sniff → extract → chunk →
 * embed → entities → co-mention relationships. No I/O besides the embedder it is given, so
 * the caller (the `document.uploaded` consumer) decides what becomes events and blobs; the
 * result is meant to be recorded once, so rebuilding read models never runs this again.
 *
 * A document that cannot be read resolves to `status: 'failed'` with a user-facing reason.
 * An embedder failure (`EmbeddingProviderError`) rejects instead: it says nothing about the
 * document, so the caller should retry rather than mark the document failed.
 */
export interface ProcessDeps {
  embedder: Embedder;
}

export interface ProcessOptions {
  /** a title given at upload; wins over the one found in the document */
  title?: string;
  /** overrides what `chunkingFor` derives from the embedder */
  chunk?: ChunkOptions;
  /** see `ExtractOptions.maxUncompressedBytes` */
  maxUncompressedBytes?: number;
}

interface Identified {
  kind: DocumentKind;
  content_type: string;
  ext: string;
  /** hex SHA-256 of the raw bytes: the same file in the same tenant is the same document */
  content_sha256: string;
}

export interface ProcessedChunk {
  index: number;
  text: string;
  start: number;
  end: number;
  vector: number[];
}

/** A mention in one chunk; `start`/`end` index into the whole document `text`, not the chunk. */
export interface ChunkMention extends Mention {
  chunk_index: number;
}

export interface ProcessedDocument extends Identified {
  status: 'processed';
  title: string;
  text: string;
  pages?: number;
  /** the vector space of every `chunks[].vector` */
  embedding: { model: string; dimension: number };
  chunks: ProcessedChunk[];
  mentions: ChunkMention[];
  relations: Relationship[];
}

export interface FailedDocument extends Identified {
  status: 'failed';
  reason: { code: ExtractionErrorCode; message: string };
}

export type ProcessResult = ProcessedDocument | FailedDocument;

const FALLBACK_TITLE_CHARS = 120;

function firstLine(text: string): string | undefined {
  return text.split('\n').find((line) => line.trim() !== '');
}

/**
 * How to chunk for an embedder: counted with its own tokenizer when it has one, at most
 * `DEFAULT_CHUNK_TOKENS` tokens and never more than the model reads (its special tokens and
 * passage prefix, i.e. what it counts for an empty text, subtracted); else with the
 * conservative WordPiece estimate, which keeps chunks within a 256-token model. A document's
 * chunks are embedded again, as they are, for every other model its tenant or projects ask for,
 * so they must fit the smallest local model's input: the bundled models share one vocabulary.
 */
export function chunkingFor(embedder: Embedder): ChunkOptions {
  const { tokens } = embedder;
  if (!tokens) return { maxTokens: DEFAULT_CHUNK_TOKENS };
  const overhead = tokens.count('');
  return {
    maxTokens: Math.max(1, Math.min(DEFAULT_CHUNK_TOKENS, tokens.max - overhead)),
    countTokens: (text) => tokens.count(text) - overhead,
  };
}

export async function processDocument(bytes: Uint8Array, deps: ProcessDeps, options: ProcessOptions = {}): Promise<ProcessResult> {
  const sniffed = sniff(bytes);
  const identified: Identified = {
    kind: sniffed.kind,
    content_type: sniffed.contentType,
    ext: sniffed.ext,
    content_sha256: createHash('sha256').update(bytes).digest('hex'),
  };

  let extracted: Awaited<ReturnType<typeof extractText>>;
  try {
    const limits = options.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: options.maxUncompressedBytes };
    extracted = await extractText(bytes, sniffed.kind, limits);
  } catch (error) {
    if (!(error instanceof ExtractionError)) throw error;
    return { ...identified, status: 'failed', reason: { code: error.code, message: error.message } };
  }
  const { text } = extracted;

  const chunks = chunkText(text, { ...chunkingFor(deps.embedder), ...options.chunk });
  const vectors = await deps.embedder.embed(
    chunks.map((c) => c.text),
    'passage',
  );
  if (vectors.length !== chunks.length) {
    throw new Error(`embedder returned ${vectors.length} vectors for ${chunks.length} chunks`);
  }

  const perChunk = chunks.map((chunk) => extractEntities(chunk.text));
  const mentions = perChunk.flatMap((list, chunk_index) => {
    const offset = chunks[chunk_index]?.start ?? 0;
    return list.map((m) => ({ chunk_index, ...m, start: m.start + offset, end: m.end + offset }));
  });

  const title = cleanTitle(options.title) ?? extracted.title ?? cleanTitle(firstLine(text), FALLBACK_TITLE_CHARS) ?? 'Untitled';
  return {
    ...identified,
    status: 'processed',
    title,
    text,
    ...(extracted.pages === undefined ? {} : { pages: extracted.pages }),
    embedding: { model: deps.embedder.model, dimension: deps.embedder.dimension },
    chunks: chunks.map((c, i) => ({ ...c, vector: vectors[i] ?? [] })),
    mentions,
    relations: relationships(perChunk),
  };
}
