/**
 * Local embedding models in-process (onnxruntime, CPU), next to the hashing model as the
 * baseline, in the same run:
 *   1. throughput: tokens/s and chunks/s per installed model and batch size, on chunks of real
 *      text made by the model's own chunker; the event loop's longest stall while embedding;
 *   2. a 100-page PDF through `processDocument` (extract, chunk, embed, entities), end to end;
 *   3. calibration of `minSimilarity`: cosine of related and unrelated query/document pairs of
 *      the relevance set (bench/relevance), and where a floor would separate them.
 * Models come from MODELS_DIR (else `.models`), installed by `npx tsx tools/models/fetch.ts all`;
 * missing ones are skipped. Prints figures and ratios; never fails on a timing. See bench/README.md.
 */
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  type Embedder,
  LOCAL_MODELS,
  chunkText,
  chunkingFor,
  cosineSimilarity,
  createEmbedderRegistry,
  createHashingEmbedder,
  processDocument,
} from '@mandant/ingestion';
import { buildPdf } from '@mandant/ingestion/testing';
import { loadEvalSet } from './relevance/data.ts';
import { fmtInt, fmtRatio, intEnv, intListEnv, runMain, table } from './src/harness.ts';

const cfg = {
  chunks: intEnv('BENCH_EMBED_CHUNKS', 96),
  batches: intListEnv('BENCH_EMBED_BATCHES', [1, 4, 16]),
  threads: intEnv('BENCH_EMBED_THREADS', Math.min(2, os.availableParallelism())),
  pages: intEnv('BENCH_EMBED_PDF_PAGES', 100),
  parts: (process.env['BENCH_EMBED_PARTS'] ?? 'throughput,pdf,calibrate').split(','),
};
const GOAL_TOKENS_PER_S = 10_000;
const GOAL_PDF_S = 30;

const registry = createEmbedderRegistry({ defaultModel: 'local-hashing-v1-384', modelsDir: process.env['MODELS_DIR'] || undefined });
const installed = LOCAL_MODELS.filter((m) => registry.get(m.id) !== null);
const embedderFor = (id: string, batchSize: number): Embedder =>
  createEmbedderRegistry({
    defaultModel: 'local-hashing-v1-384',
    modelsDir: process.env['MODELS_DIR'] || undefined,
    local: { threads: cfg.threads, batchSize },
  }).get(id) ?? createHashingEmbedder();

const evalSet = loadEvalSet();

/** Chunks of the relevance corpus as `embedder`'s chunker makes them (real prose, German and English). */
function corpusChunks(embedder: Embedder, n: number): string[] {
  const out: string[] = [];
  for (const doc of evalSet.docs) {
    for (const c of chunkText(doc.text, chunkingFor(embedder))) if (out.length < n) out.push(c.text);
    if (out.length >= n) break;
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; stallMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  loop.disable();
  return { value, ms, stallMs: loop.max / 1e6 };
}

async function throughput(): Promise<void> {
  console.log(`\n## Throughput: ${cfg.chunks} chunks of the relevance corpus, ${cfg.threads} intra-op thread(s)\n`);
  const rows: string[][] = [];
  const hashing = createHashingEmbedder();
  const texts = installed[0] ? corpusChunks(embedderFor(installed[0].id, 1), cfg.chunks) : corpusChunks(hashing, cfg.chunks);
  const base = await timed(() => hashing.embed(texts));
  rows.push([
    'local-hashing-v1-384 (baseline)',
    '–',
    fmtInt(texts.length / (base.ms / 1000)),
    '–',
    base.ms.toFixed(0),
    base.stallMs.toFixed(0),
    '–',
  ]);
  for (const model of installed) {
    for (const batch of cfg.batches) {
      const embedder = embedderFor(model.id, batch);
      await embedder.embed(texts.slice(0, 2)); // loads the session
      const tokens = texts.reduce((sum, t) => sum + Math.min(model.maxTokens, embedder.tokens?.count(t) ?? 0), 0);
      const run = await timed(() => embedder.embed(texts));
      const perS = tokens / (run.ms / 1000);
      rows.push([
        model.id,
        String(batch),
        fmtInt(texts.length / (run.ms / 1000)),
        fmtInt(perS),
        run.ms.toFixed(0),
        run.stallMs.toFixed(0),
        fmtRatio(perS / GOAL_TOKENS_PER_S),
      ]);
    }
  }
  console.log(
    table(['model', 'batch', 'chunks/s', 'tokens/s', 'ms', 'max loop stall ms', `vs goal ${fmtInt(GOAL_TOKENS_PER_S)} tok/s`], rows),
  );
  console.log(`\nmean chunk: ${fmtInt(texts.reduce((s, t) => s + t.length, 0) / texts.length)} characters`);
}

function hundredPages(): Uint8Array {
  const pages = evalSet.docs.slice(0, cfg.pages).map((doc) =>
    `${doc.title}. ${doc.text}`
      .replace(/[^\x20-\x7e\xa0-\xff\n]/g, ' ')
      .split('\n')
      .flatMap((line) => line.match(/.{1,95}(\s|$)/g) ?? [line])
      .slice(0, 45),
  );
  while (pages.length < cfg.pages) pages.push(pages[pages.length % Math.max(1, evalSet.docs.length)] ?? ['empty page']);
  return buildPdf({ pages, title: 'Bench 100 pages' });
}

async function pdf(): Promise<void> {
  const bytes = hundredPages();
  console.log(`\n## A ${cfg.pages}-page PDF (${fmtInt(bytes.length / 1024)} KiB) through processDocument\n`);
  const rows: string[][] = [];
  let baseMs = Number.NaN;
  for (const id of ['local-hashing-v1-384', ...installed.map((m) => m.id)]) {
    const embedder = id.startsWith('local-hashing') ? createHashingEmbedder() : embedderFor(id, 1);
    if (embedder.tokens) await embedder.embed(['warm up']);
    const run = await timed(() => processDocument(bytes, { embedder }));
    const doc = run.value;
    if (doc.status !== 'processed') throw new Error(`the bench PDF failed: ${doc.reason.message}`);
    if (Number.isNaN(baseMs)) baseMs = run.ms;
    rows.push([
      id,
      String(doc.pages ?? '?'),
      String(doc.chunks.length),
      (run.ms / 1000).toFixed(1),
      fmtRatio(run.ms / baseMs),
      `${((run.ms / 1000 / GOAL_PDF_S) * 100).toFixed(0)} %`,
      run.stallMs.toFixed(0),
    ]);
  }
  console.log(table(['model', 'pages', 'chunks', 's', 'vs hashing', `of the ${GOAL_PDF_S} s goal`, 'max loop stall ms'], rows));
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? Number.NaN;
}

async function calibrate(): Promise<void> {
  console.log('\n## minSimilarity calibration on the relevance set\n');
  console.log('A document scores its best chunk. related: judged grade 3 (about the query);');
  console.log('unrelated: documents of other storylines than any judged for the query; out-of-corpus: each such query’s best document.\n');
  const rows: string[][] = [];
  const queries = evalSet.queries;
  const storylineOf = new Map(evalSet.docs.map((d) => [d.id, d.storyline]));
  for (const embedder of [createHashingEmbedder(), ...installed.map((m) => embedderFor(m.id, 1))]) {
    const docChunks = evalSet.docs.map((d) => chunkText(d.text, chunkingFor(embedder)).map((c) => c.text));
    const flat = docChunks.flat();
    const vectors = await embedder.embed(flat);
    const byDoc: number[][][] = [];
    let at = 0;
    for (const chunks of docChunks) {
      byDoc.push(vectors.slice(at, at + chunks.length));
      at += chunks.length;
    }
    const queryVectors = await embedder.embed(
      queries.map((q) => q.text),
      'query',
    );
    const related: number[] = [];
    const unrelated: number[] = [];
    const outOfCorpus: number[] = [];
    queries.forEach((q, qi) => {
      const qv = queryVectors[qi] ?? [];
      const score = (di: number): number => Math.max(-1, ...(byDoc[di] ?? []).map((v) => cosineSimilarity(qv, v)));
      const judged = evalSet.judgements.filter((j) => j.query_id === q.id);
      if (q.kind === 'out-of-corpus') {
        outOfCorpus.push(Math.max(...evalSet.docs.map((_, di) => score(di))));
        return;
      }
      const storylines = new Set(judged.map((j) => storylineOf.get(j.doc_id)));
      evalSet.docs.forEach((d, di) => {
        const grade = judged.find((j) => j.doc_id === d.id)?.grade;
        if (grade === 3) related.push(score(di));
        else if (grade === undefined && !storylines.has(d.storyline) && di % 3 === qi % 3) unrelated.push(score(di));
      });
    });
    for (const list of [related, unrelated, outOfCorpus]) list.sort((a, b) => a - b);
    const floor = embedder.minSimilarity;
    const above = (list: number[]): string => `${((list.filter((x) => x >= floor).length / Math.max(1, list.length)) * 100).toFixed(0)} %`;
    rows.push([
      embedder.model,
      floor.toFixed(2),
      `${quantile(unrelated, 0.5).toFixed(2)} / ${quantile(unrelated, 0.95).toFixed(2)} / ${quantile(unrelated, 0.99).toFixed(2)}`,
      `${quantile(related, 0.1).toFixed(2)} / ${quantile(related, 0.25).toFixed(2)} / ${quantile(related, 0.5).toFixed(2)}`,
      `${quantile(outOfCorpus, 0.5).toFixed(2)} / ${quantile(outOfCorpus, 1).toFixed(2)}`,
      above(related),
      above(unrelated),
      above(outOfCorpus),
    ]);
    console.log(`${embedder.model}: ${related.length} related, ${unrelated.length} unrelated, ${outOfCorpus.length} out-of-corpus pairs`);
  }
  console.log(
    `\n${table(
      [
        'model',
        'minSimilarity',
        'unrelated p50/p95/p99',
        'related p10/p25/p50',
        'out-of-corpus best p50/max',
        'related ≥ floor',
        'unrelated ≥ floor',
        'out-of-corpus ≥ floor',
      ],
      rows,
    )}`,
  );
}

runMain(async () => {
  console.log(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}; Node ${process.version}; load ${os.loadavg()[0]?.toFixed(1)}`,
  );
  console.log(`Installed local models: ${installed.map((m) => m.id).join(', ') || 'none (npx tsx tools/models/fetch.ts all)'}`);
  if (cfg.parts.includes('throughput')) await throughput();
  if (cfg.parts.includes('pdf')) await pdf();
  if (cfg.parts.includes('calibrate')) await calibrate();
});
