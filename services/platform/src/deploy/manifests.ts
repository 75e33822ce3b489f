// Renders deploy/kustomization.yaml the way `kubectl apply -k` does for the features it uses,
// and validates every document against the Kubernetes API schemas, strictly: an unknown field
// is an error, as with `kubectl apply --validate=strict`. Offline: the schemas come from npm
// (kubernetes-models) and the Compose Specification's schema is kept in deploy/schemas/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';
import { models, type ManifestKinds } from './kinds.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The YAML documents of one file, each a mapping; empty documents (a trailing `---`) are dropped. */
export function parseManifests(text: string, source: string): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false })) {
    if (doc.errors.length > 0) throw new ManifestError(`${source}: ${doc.errors[0]!.message}`);
    let value: unknown;
    try {
      // no aliases: manifests have no use for them, and they are how a small file expands to a huge one
      value = doc.toJS({ maxAliasCount: 0 });
    } catch (error) {
      throw new ManifestError(`${source}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) throw new ManifestError(`${source}: a document is not a mapping`);
    docs.push(value);
  }
  return docs;
}

// Only what this renderer applies: anything else in kustomization.yaml (patches, generators,
// remote bases, images) would be deployed by kubectl but not checked here, so it is refused.
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources']);

/** Every document `kubectl apply -k <dir>` would send, in order, namespace and labels applied. */
export function renderKustomization(dir: string = DEPLOY_DIR): Manifest[] {
  const [k, ...more] = parseManifests(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml');
  if (!k || more.length > 0) throw new ManifestError('kustomization.yaml: expected exactly one document');
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization')
    throw new ManifestError('kustomization.yaml: not a kustomize.config.k8s.io/v1beta1 Kustomization');
  for (const key of Object.keys(k))
    if (!KUSTOMIZATION_KEYS.has(key)) throw new ManifestError(`kustomization.yaml: "${key}" is not rendered by this check`);
  const namespace = k.namespace;
  if (namespace !== undefined && typeof namespace !== 'string') throw new ManifestError('kustomization.yaml: namespace is not a string');
  const labels: Record<string, string> = {};
  for (const entry of (k.labels ?? []) as unknown[]) {
    if (!isRecord(entry) || !isRecord(entry.pairs)) throw new ManifestError('kustomization.yaml: a labels entry has no pairs');
    // includeSelectors/includeTemplates would also change selectors and pod templates
    if (
      entry.includeSelectors === true ||
      entry.includeTemplates === true ||
      Object.keys(entry).some((key) => key !== 'pairs' && key !== 'includeSelectors')
    )
      throw new ManifestError('kustomization.yaml: only labels with pairs and includeSelectors: false are rendered');
    for (const [name, value] of Object.entries(entry.pairs)) labels[name] = String(value);
  }
  const resources = k.resources;
  if (!Array.isArray(resources) || resources.length === 0) throw new ManifestError('kustomization.yaml: no resources');

  const out: Manifest[] = [];
  for (const resource of resources) {
    if (typeof resource !== 'string' || !/^[a-z0-9][a-z0-9./-]*\.ya?ml$/.test(resource) || resource.split('/').includes('..'))
      throw new ManifestError(`kustomization.yaml: resource ${JSON.stringify(resource)} is not a local YAML file below deploy/`);
    for (const doc of parseManifests(readFileSync(join(dir, resource), 'utf8'), resource)) {
      const meta = doc.metadata;
      if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || !isRecord(meta) || typeof meta.name !== 'string')
        throw new ManifestError(`${resource}: a document without apiVersion, kind or metadata.name`);
      const metadata = { ...meta, labels: { ...(isRecord(meta.labels) ? meta.labels : {}), ...labels } };
      if (namespace !== undefined && doc.kind !== 'Namespace') Object.assign(metadata, { namespace });
      out.push({ ...doc, metadata } as Manifest);
    }
  }
  return out;
}

// --- strict field check: the kinds' types, read by the type checker --------------------------

let kindsChecker: { checker: ts.TypeChecker; kinds: ts.Type } | undefined;

function loadKinds(): { checker: ts.TypeChecker; kinds: ts.Type } {
  if (kindsChecker) return kindsChecker;
  const file = fileURLToPath(new URL('./kinds.ts', import.meta.url));
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  const kinds = symbol && checker.getExportsOfModule(symbol).find((s) => s.name === 'ManifestKinds');
  if (!kinds) throw new ManifestError('kinds.ts exports no ManifestKinds');
  kindsChecker = { checker, kinds: checker.getDeclaredTypeOfSymbol(kinds) };
  return kindsChecker;
}

/** The paths of fields that the kind's API schema does not know, e.g. `spec.template.spec.containers[0].readOnly`. */
export function unknownFields(doc: Record<string, unknown>, key: keyof ManifestKinds): string[] {
  const { checker, kinds } = loadKinds();
  const kindSymbol = checker.getPropertyOfType(kinds, key);
  if (!kindSymbol) throw new ManifestError(`no type for ${key}`);
  const found: string[] = [];
  const walk = (value: unknown, declared: ts.Type, path: string): void => {
    if (value === null || typeof value !== 'object') return; // scalars: the schema validation checks them
    const type = checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return; // free-form (RawExtension, FieldsV1)
    // a union such as IntOrString (number | string) has at most one object-like member
    const members = type.isUnion() ? type.types.filter((t) => t.flags & ts.TypeFlags.Object) : [type];
    if (members.length !== 1) return;
    const shape = members[0]!;
    if (Array.isArray(value)) {
      const element = checker.isArrayType(shape) ? checker.getTypeArguments(shape as ts.TypeReference)[0] : undefined;
      if (element) value.forEach((item, i) => walk(item, element, `${path}[${i}]`));
      return;
    }
    const index = checker.getIndexInfosOfType(shape).find((info) => info.keyType.flags & ts.TypeFlags.String);
    for (const [name, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${name}` : name;
      const prop = checker.getPropertyOfType(shape, name);
      if (prop) walk(child, checker.getTypeOfSymbol(prop), childPath);
      else if (index) walk(child, index.type, childPath);
      else found.push(childPath);
    }
  };
  walk(doc, checker.getTypeOfSymbol(kindSymbol), '');
  return found;
}

/** What is wrong with one document: an unsupported kind, unknown fields, schema violations. */
export function validateManifest(doc: Record<string, unknown>): string[] {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  if (!Object.hasOwn(models, key)) return [`${key} is not a kind these manifests may use (services/platform/src/deploy/kinds.ts)`];
  const kind = key as keyof ManifestKinds;
  const problems = unknownFields(doc, kind).map((path) => `unknown field ${path}`);
  try {
    new models[kind](doc as never).validate();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return problems;
}

// --- Compose -----------------------------------------------------------------------------------

export const COMPOSE_SCHEMA_PATH = join(DEPLOY_DIR, 'schemas', 'compose-spec.json');

let composeValidator: ReturnType<Ajv['compile']> | undefined;

/** A Compose file as Compose reads it: one document, YAML merge keys (`<<: *app`) resolved. */
export function parseCompose(text: string): unknown {
  // merge keys are YAML 1.1, which Compose files use for shared fragments; the alias count
  // bounds the expansion of a hostile file
  return parse(text, { merge: true, uniqueKeys: true, maxAliasCount: 100 });
}

/** Problems of a Compose file (already parsed) against the Compose Specification's schema. */
export function validateCompose(doc: unknown): ErrorObject[] {
  if (!composeValidator) {
    const { $schema, ...schema } = JSON.parse(readFileSync(COMPOSE_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    // The schema names draft-07 by its https address, which Ajv does not know under that name;
    // draft-07 is Ajv's default, so without the name it is checked against that meta-schema all the same.
    if ($schema !== 'https://json-schema.org/draft-07/schema')
      throw new ManifestError(`compose-spec.json: unexpected $schema ${String($schema)}`);
    // strict: false — the schema carries annotations (e.g. deprecation notes) Ajv's strict mode does not know
    composeValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return composeValidator(doc) ? [] : (composeValidator.errors ?? []);
}
