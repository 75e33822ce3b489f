import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

describe.skipIf(!pg || natsMissing)('EMBEDDING_MODEL=auto without the model', () => {
  let h: Harness;
  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { EMBEDDING_MODEL: 'auto', MODELS_DIR: '/nonexistent/mandant-models' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('starts with the hashing model and says in /readyz that embedding is degraded, and why', async () => {
    const res = await fetch(`${h.platform.healthUrl}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; details?: { embedding?: { model: string; degraded: boolean; reason?: string } } };
    expect(body.status).toBe('ready');
    expect(body.details?.embedding).toMatchObject({ model: 'local-hashing-v1-384', degraded: true });
    expect(body.details?.embedding?.reason).toMatch(/all-minilm-l6-v2-q is not installed in \/nonexistent\/mandant-models/);
    const api = await h.call('GET', '/readyz');
    expect(api.body.details).toEqual(body.details);
  });
});

/** With the model installed (tools/models/fetch.ts; MODELS_DIR or `.models`), auto is MiniLM. */
const modelsDir = process.env['MODELS_DIR'] || fileURLToPath(new URL('../../../../.models', import.meta.url));
const minilmInstalled = existsSync(`${modelsDir}/all-minilm-l6-v2-q/model.onnx`);
if (!minilmInstalled) console.log(`SKIPPED-MODEL: minilm (not installed in ${modelsDir})`);

describe.skipIf(!pg || natsMissing || !minilmInstalled)('EMBEDDING_MODEL=auto with the model installed', () => {
  let h: Harness;
  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { EMBEDDING_MODEL: 'auto', MODELS_DIR: modelsDir } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('runs all-MiniLM-L6-v2 and says so in /readyz, not degraded', async () => {
    const body = (await (await fetch(`${h.platform.healthUrl}/readyz`)).json()) as { details?: unknown };
    expect(body.details).toEqual({ embedding: { model: 'all-minilm-l6-v2-q', degraded: false } });
  });
});
