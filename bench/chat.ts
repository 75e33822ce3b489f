/**
 * Chat answers through the gateway: time to the first token and to the whole answer (p50/p95),
 * streamed, for the extractive generator and for a streaming chat model (the OpenAI-compatible
 * fake from @mandant/chat/testing, pacing its deltas as configured), next to the same question
 * answered whole (no stream) in the same run: before streaming was real, that was the time to
 * the first token too. The platform runs in this process on NATS (a private nats-server), as the
 * e2e suites run it. Prints figures and ratios; never fails on a timing. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type FakeChatModel, startFakeChatModel } from '@mandant/chat/testing';
import { type Harness, OPERATOR, ok, startHarness } from '@mandant/platform/testing';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { fmtMs, fmtRatio, intEnv, machineLine, runMain, serverUrl, table } from './src/harness.ts';
import { percentiles } from './src/latency.ts';

const cfg = {
  /** questions asked per path and mode */
  asks: intEnv('BENCH_CHAT_ASKS', 30),
  /** documents in the project the answers come from */
  documents: intEnv('BENCH_CHAT_DOCUMENTS', 20),
  /** the fake model: deltas per answer, delay before the first, delay between deltas */
  deltas: intEnv('BENCH_CHAT_DELTAS', 40),
  firstMs: intEnv('BENCH_CHAT_FIRST_MS', 200, 0),
  deltaMs: intEnv('BENCH_CHAT_DELTA_MS', 20, 0),
};

const QUESTIONS = ['Who paid Mayor Quill?', 'How much did Acme Holdings transfer?', 'Which account in Zurich received money?'];

/** A ledger-like document whose sentences hold amounts, dates and abbreviations. */
const documentText = (i: number) =>
  [
    `Acme Holdings Inc. paid Mayor Quill ${i + 1}.5 million USD on ${String((i % 28) + 1).padStart(2, '0')}.03.2019.`,
    `Mr. J. R. Smith of Smith & Co. Ltd. wired EUR ${(i + 1) * 1000},50 to account No. ${4700 + i} in Zurich.`,
    `The transfer, i.e. the ${i + 1}th of the year, was booked by Dr. Anna Weber at 10 a.m. on 3 Jan. 2020.`,
    `Nobody at the U.S. Treasury commented on ledger page ${i + 1}.`,
  ].join(' ');

interface Timing {
  firstMs: number;
  totalMs: number;
}

/** One question, streamed: time to the first `event: token` and to `event: done`. */
async function askStreamed(h: Harness, key: string, conversation: string, content: string): Promise<Timing> {
  const t0 = performance.now();
  const res = await fetch(`${h.api}/chat/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ content, stream: true }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`streamed question answered ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let seen = '';
  let firstMs = Number.NaN;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    seen += decoder.decode(bytes, { stream: true });
    if (Number.isNaN(firstMs) && seen.includes('event: token')) firstMs = performance.now() - t0;
    if (seen.includes('event: error')) throw new Error(`answer failed mid-stream: ${seen.slice(seen.indexOf('event: error'), 400)}`);
  }
  if (!seen.includes('event: done')) throw new Error('stream ended without done');
  return { firstMs, totalMs: performance.now() - t0 };
}

/** One question answered whole (201 JSON): the first word arrives with the last. */
async function askWhole(h: Harness, key: string, conversation: string, content: string): Promise<Timing> {
  const t0 = performance.now();
  await ok(h.client(key).POST('/chat/conversations/{id}/messages', { params: { path: { id: conversation } }, body: { content } }));
  const ms = performance.now() - t0;
  return { firstMs: ms, totalMs: ms };
}

interface Row {
  path: string;
  mode: string;
  timings: Timing[];
}

/** A platform with `env`, a tenant, a project of `cfg.documents` processed documents and a conversation in it. */
async function prepared(env: Record<string, string>) {
  const h = await startHarness({ ownerUrl: serverUrl(), env });
  const t = await ok(h.client(OPERATOR).POST('/tenants', { body: { name: 'Bench chat', slug: `bench-chat-${randomUUID().slice(0, 6)}` } }));
  const api = h.client(t.admin_api_key);
  const project = await ok(api.POST('/projects', { body: { name: 'Harbour ledger' } }));
  const docs: string[] = [];
  for (let i = 0; i < cfg.documents; i++)
    docs.push(
      (
        await ok(
          api.POST('/projects/{id}/documents', {
            params: { path: { id: project.id } },
            body: { title: `Ledger ${i + 1}`, content: documentText(i) },
          }),
        )
      ).id,
    );
  for (const id of docs)
    await eventually(
      async () => (await ok(api.GET('/documents/{id}', { params: { path: { id } } }))).status === 'processed',
      `document ${id}`,
    );
  const position = (await ok(api.GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;
  await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(t.tenant.id, position, SETTLE_MS)));
  const conversation = await ok(api.POST('/projects/{id}/chat/conversations', { params: { path: { id: project.id } }, body: {} }));
  return { h, key: t.admin_api_key, conversation: conversation.id };
}

async function measure(path: string, env: Record<string, string>): Promise<Row[]> {
  const { h, key, conversation } = await prepared(env);
  try {
    // warm-up: first requests pay for connections and JIT
    for (const q of QUESTIONS) await askStreamed(h, key, conversation, q);
    const rows: Row[] = [
      { path, mode: 'streamed', timings: [] },
      { path, mode: 'whole (no stream)', timings: [] },
    ];
    // alternate the modes so neither always meets a warmer machine
    for (let i = 0; i < cfg.asks; i++) {
      const q = QUESTIONS[i % QUESTIONS.length] ?? '';
      rows[0]?.timings.push(await askStreamed(h, key, conversation, q));
      rows[1]?.timings.push(await askWhole(h, key, conversation, q));
    }
    return rows;
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  console.log(machineLine('PostgreSQL at BENCH_DATABASE_URL'));
  const modelMs = cfg.firstMs + (cfg.deltas - 1) * cfg.deltaMs;
  console.log(
    `${cfg.asks} questions per path and mode, ${cfg.documents} documents; fake model: ${cfg.deltas} deltas, first after ${cfg.firstMs} ms, ` +
      `then every ${cfg.deltaMs} ms (${modelMs} ms an answer on its own).\n`,
  );
  const rows = await measure('extractive', {});
  let model: FakeChatModel | null = null;
  try {
    model = await startFakeChatModel();
    const words = Array.from({ length: cfg.deltas }, (_, i) => (i === cfg.deltas - 1 ? 'done [1].' : `word${i} `));
    model.script({ deltas: words, firstDelayMs: cfg.firstMs, delayMs: cfg.deltaMs });
    rows.push(...(await measure('streaming model', { CHAT_URL: model.url, CHAT_MODEL: 'bench-fake', CHAT_API_KEY: 'sk-bench' })));
  } finally {
    await model?.close();
  }

  const stats = rows.map((r) => ({
    ...r,
    first: percentiles(r.timings.map((t) => t.firstMs)),
    total: percentiles(r.timings.map((t) => t.totalMs)),
  }));
  console.log(
    table(
      ['path', 'mode', 'first token p50 ms', 'p95', 'whole answer p50 ms', 'p95'],
      stats.map((s) => [s.path, s.mode, fmtMs(s.first.p50), fmtMs(s.first.p95), fmtMs(s.total.p50), fmtMs(s.total.p95)]),
    ),
  );
  console.log('');
  for (const path of ['extractive', 'streaming model']) {
    const streamed = stats.find((s) => s.path === path && s.mode === 'streamed');
    const whole = stats.find((s) => s.path === path && s.mode !== 'streamed');
    if (!streamed || !whole) continue;
    console.log(
      `${path}: first token streamed / whole answer unstreamed (p50) ${fmtRatio(streamed.first.p50 / whole.total.p50)}; ` +
        `streamed whole answer / unstreamed (p50) ${fmtRatio(streamed.total.p50 / whole.total.p50)}`,
    );
  }
  const streamedModel = stats.find((s) => s.path === 'streaming model' && s.mode === 'streamed');
  if (streamedModel)
    console.log(
      `streaming model: first token through the platform - the model's own first delay (p50) ${fmtMs(streamedModel.first.p50 - cfg.firstMs)} ms ` +
        `(retrieval, access checks, NATS and the gateway); whole answer - the model's own ${modelMs} ms (p50) ${fmtMs(streamedModel.total.p50 - modelMs)} ms`,
    );
}

runMain(main);
