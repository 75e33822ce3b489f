// The deployment files, checked offline: every document `kubectl apply -k deploy/` would send is
// valid against the Kubernetes API schemas (unknown fields refused), the workloads follow the
// operating rules (replicas, disruption budgets, spread, resources, locked-down containers,
// probes), the NetworkPolicies let through exactly the traffic each process needs, NATS is a
// 3-node JetStream cluster, and docker-compose.yml is valid against the Compose Specification.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_SCHEMA_PATH,
  ManifestError,
  parseCompose,
  parseManifests,
  REPO_ROOT,
  renderKustomization,
  unknownFields,
  validateCompose,
  validateManifest,
  type Manifest,
} from './manifests.ts';
import { ENTRIES } from '../../../../tools/build/build.ts';

type Obj = Record<string, unknown>;
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
type Container = Obj & {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Obj; limits?: Obj };
  securityContext?: Obj & { capabilities?: { drop?: string[] } };
  livenessProbe?: Obj & { httpGet?: { port: string | number } };
  readinessProbe?: Obj & { httpGet?: { port: string | number } };
};
type PodSpec = Obj & {
  securityContext?: Obj;
  containers: Container[];
  initContainers?: Container[];
  topologySpreadConstraints?: { labelSelector?: Selector }[];
};
type Workload = { kind: string; name: string; labels: Record<string, string>; pod: PodSpec; replicas: number | undefined };

/**
 * The build entry a container command runs (`node … dist/<name>.js`), checked against what
 * tools/build/build.ts builds; services also load the tracing hook first. Null for anything else.
 */
function compiledEntry(argv: string[]): string | null {
  if (argv[0] !== 'node' || argv.some((a) => a === 'tsx' || a.endsWith('.ts'))) return null;
  const entry = /^dist\/([a-z-]+)\.js$/.exec(argv.at(-1) ?? '')?.[1];
  if (!entry || !(entry in ENTRIES)) return null;
  const hook = argv.indexOf('./dist/register.js');
  if (entry !== 'migrate' && (hook < 0 || argv[hook - 1] !== '--import')) return null;
  return entry;
}

const docs = renderKustomization();
const ofKind = (kind: string): Manifest[] => docs.filter((d) => d.kind === kind);
const named = (kind: string, name: string): Manifest => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name}`);
  return doc;
};

const workloads: Workload[] = docs
  .filter((d) => ['Deployment', 'StatefulSet', 'Job'].includes(d.kind))
  .map((d) => {
    const spec = d.spec as { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
    return { kind: d.kind, name: d.metadata.name, labels: spec.template.metadata.labels, pod: spec.template.spec, replicas: spec.replicas };
  });
const workload = (name: string): Workload => {
  const w = workloads.find((x) => x.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  return w;
};

// The Mandant processes (services/platform/src/processes/*.ts): stateless, so each runs
// replicated behind a PodDisruptionBudget. `stores`: the processes built with `stores: true`,
// which open all four read stores (vectors, text, graph, blobs; shared/src/stores/read-stores.ts).
const SERVICES = ['gateway', 'tenant', 'project', 'membership', 'documents', 'ingestion', 'projectors', 'search', 'entities', 'chat'];
const STORE_USERS = ['project', 'membership', 'documents', 'ingestion', 'projectors', 'search', 'entities', 'chat'];
const READ_STORES = ['qdrant:6333', 'meilisearch:7700', 'neo4j:7687', 'minio:9000'];

/** What each pod may connect to: `<workload>:<port>`, and `dns` for kube-dns. */
const EXPECTED_EGRESS: Record<string, string[]> = {
  gateway: ['dns', 'nats:4222', 'postgres:5432', 'minio:9000'], // uploads are sealed into the blob store
  tenant: ['dns', 'nats:4222', 'postgres:5432'],
  ...Object.fromEntries(STORE_USERS.map((s) => [s, ['dns', 'nats:4222', 'postgres:5432', ...READ_STORES]])),
  migrate: ['dns', 'postgres:5432'],
  nats: ['dns', 'nats:6222'], // routes between the cluster's nodes
  postgres: ['dns'],
  qdrant: ['dns'],
  meilisearch: ['dns'],
  neo4j: ['dns'],
  minio: ['dns'],
};

function matches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : (() => {
                  throw new Error(`selector operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

// --- NetworkPolicy evaluation ----------------------------------------------------------------
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: Obj };
type Rule = { to?: Peer[]; from?: Peer[]; ports?: { protocol?: string; port: number | string }[] };
type Policy = { name: string; podSelector: Selector; policyTypes: string[]; ingress: Rule[]; egress: Rule[] };

const policies: Policy[] = ofKind('NetworkPolicy').map((d) => {
  const spec = d.spec as { podSelector: Selector; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
  return {
    name: d.metadata.name,
    podSelector: spec.podSelector,
    policyTypes: spec.policyTypes,
    ingress: spec.ingress ?? [],
    egress: spec.egress ?? [],
  };
});

const isDns = (p: Peer): boolean =>
  p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
  p.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';

/** The peers a rule names, as `<workload>` in the namespace, `dns`, or `outside` (anything beyond the namespace). */
function peersOf(peers: Peer[] | undefined): string[] {
  if (!peers || peers.length === 0) return ['outside'];
  return peers.flatMap((p) => {
    if (isDns(p)) return ['dns'];
    if (p.ipBlock || p.namespaceSelector) return ['outside'];
    return workloads.filter((w) => matches(p.podSelector, w.labels)).map((w) => w.name);
  });
}

function portsOf(rule: Rule, policy: string): number[] {
  // a rule without ports would allow every port
  if (!rule.ports || rule.ports.length === 0) throw new Error(`${policy}: a rule without ports`);
  return rule.ports.map((p) => {
    if (typeof p.port !== 'number')
      throw new Error(`${policy}: named port ${p.port}; use numbers, they are checked against the containers`);
    return p.port;
  });
}

const selecting = (w: Workload, type: 'Ingress' | 'Egress'): Policy[] =>
  policies.filter((p) => p.policyTypes.includes(type) && (Object.keys(p.podSelector).length === 0 || matches(p.podSelector, w.labels)));

function egressOf(w: Workload): string[] {
  const out = new Set<string>();
  for (const p of selecting(w, 'Egress'))
    for (const rule of p.egress)
      for (const peer of peersOf(rule.to)) for (const port of portsOf(rule, p.name)) out.add(peer === 'dns' ? 'dns' : `${peer}:${port}`);
  return [...out].sort();
}

function ingressOf(w: Workload): string[] {
  const out = new Set<string>();
  for (const p of selecting(w, 'Ingress'))
    for (const rule of p.ingress)
      for (const peer of peersOf(rule.from)) for (const port of portsOf(rule, p.name)) out.add(`${peer}->${port}`);
  return [...out].sort();
}

function containerPorts(w: Workload): Map<string, number> {
  return new Map(
    w.pod.containers.flatMap((c) => (c.ports ?? []).map((p) => [p.name ?? String(p.containerPort), p.containerPort] as const)),
  );
}

const allContainers = (w: Workload): Container[] => [...w.pod.containers, ...(w.pod.initContainers ?? [])];

beforeAll(() => {
  // the first strict check builds the type checker over the Kubernetes API types (seconds)
  unknownFields({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'warm-up' } }, 'v1/Namespace');
});

describe('kustomization', () => {
  it('renders every resource into the mandant namespace, each object once', () => {
    expect(docs.length).toBeGreaterThan(40);
    const keys = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of docs) {
      if (d.kind === 'Namespace') expect(d.metadata.name).toBe('mandant');
      else expect(d.metadata.namespace).toBe('mandant');
      expect(d.metadata.labels?.['app.kubernetes.io/part-of']).toBe('mandant');
    }
  });

  it('every document is valid against its Kubernetes API schema, with no unknown field', () => {
    const problems = docs.flatMap((d) => validateManifest(d).map((p) => `${d.kind}/${d.metadata.name}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('refuses what it does not render, and files outside deploy/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomization-'));
    try {
      writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
      const render = (body: string): Manifest[] => {
        writeFileSync(join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`);
        return renderKustomization(dir);
      };
      expect(render('namespace: n\nresources: [cm.yaml]\n')[0]?.metadata.namespace).toBe('n');
      for (const body of [
        'resources: [cm.yaml]\npatches: [{path: p.yaml}]\n',
        'resources: [cm.yaml]\nimages: [{name: a, newTag: b}]\n',
        'resources: [../cm.yaml]\n',
        'resources: [/etc/passwd.yaml]\n',
        'resources: ["https://example.com/x.yaml"]\n',
        'resources: [github.com/org/repo]\n',
        'resources: [cm.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n',
        'resources: []\n',
      ])
        expect(() => render(body), body).toThrow(ManifestError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('strict validation (hostile manifests)', () => {
  // fields whose values are maps (labels, data, resource lists, Service selector): any key is valid there
  const MAPS = new Set(['labels', 'annotations', 'data', 'stringData', 'matchLabels', 'nodeSelector', 'requests', 'limits', 'selector']);
  const objectPaths = (value: unknown, path: (string | number)[] = []): (string | number)[][] => {
    if (value === null || typeof value !== 'object') return [];
    const children = Array.isArray(value)
      ? value.flatMap((v, i) => objectPaths(v, [...path, i]))
      : Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...path, k]));
    return Array.isArray(value) || MAPS.has(String(path.at(-1))) ? children : [path, ...children];
  };
  const show = (path: (string | number)[]): string =>
    path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
  const kindKey = (d: Manifest) => `${d.apiVersion}/${d.kind}` as Parameters<typeof unknownFields>[1];
  // no Kubernetes field starts with "zz"
  const unknownName = fc.stringMatching(/^zz[a-zA-Z0-9]{0,12}$/);

  it('an unknown field anywhere is reported at its path, and only it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...docs), fc.nat(), unknownName, fc.jsonValue(), (doc, pick, name, value) => {
        const copy = structuredClone(doc);
        const paths = objectPaths(copy);
        const path = paths[pick % paths.length]!;
        const target = path.reduce<Obj>((o, p) => o[p as string] as Obj, copy);
        target[name] = value;
        expect(unknownFields(copy, kindKey(doc))).toEqual([show([...path, name])]);
        expect(validateManifest(copy)).toContain(`unknown field ${show([...path, name])}`);
      }),
      { numRuns: 200 },
    );
  });

  it('a wrong type is a schema error', () => {
    const deployments = ofKind('Deployment');
    fc.assert(
      fc.property(
        fc.constantFrom(...deployments),
        fc.string().filter((s) => !/^\s*-?\d/.test(s)),
        (doc, text) => {
          const copy = structuredClone(doc) as Manifest & { spec: Obj };
          copy.spec.replicas = text;
          expect(validateManifest(copy).join('\n')).toMatch(/replicas must be integer/);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('any document is answered with problems, never an exception', () => {
    const kinds = fc.constantFrom('v1/Service', 'apps/v1/Deployment', 'networking.k8s.io/v1/NetworkPolicy', 'v1/Pod', 'x/y');
    fc.assert(
      fc.property(kinds, fc.dictionary(fc.string(), fc.jsonValue()), (key, body) => {
        const i = key.lastIndexOf('/');
        const doc = { ...body, apiVersion: key.slice(0, i), kind: key.slice(i + 1) };
        expect(Array.isArray(validateManifest(doc))).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(validateManifest({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })[0]).toMatch(/not a kind these manifests may use/);
  });

  it('any text is parsed into mappings or refused with a ManifestError', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc
        .array(fc.constantFrom('a: 1\n', '---\n', '- x\n', '&a [1]\n', '*a\n', 'b: *a\n', '{', 'k: v\nk: w\n', '"', '\t'))
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          for (const doc of parseManifests(text, 'input.yaml')) expect(typeof doc).toBe('object');
        } catch (error) {
          expect(error).toBeInstanceOf(ManifestError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('workloads', () => {
  const deployments = workloads.filter((w) => w.kind === 'Deployment');
  const hpas = ofKind('HorizontalPodAutoscaler').map(
    (d) => d.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas?: number },
  );
  const pdbs = ofKind('PodDisruptionBudget').map(
    (d) => d.spec as { selector: Selector; minAvailable?: number | string; maxUnavailable?: number | string },
  );

  it('every Mandant process is a Deployment (stateless); the migration a Job; the image as Tilt and compose build it', () => {
    expect(deployments.map((w) => w.name).sort()).toEqual([...SERVICES].sort());
    expect(workload('migrate').kind).toBe('Job');
    for (const w of [...deployments, workload('migrate')])
      for (const c of w.pod.containers) expect(c.image, `${w.name}/${c.name}`).toBe('mandant/app:latest');
  });

  it.each([...SERVICES, 'migrate'])('%s runs its compiled entry point (npm run build), with no TypeScript loader', (name) => {
    const c = workload(name).pod.containers[0]!;
    expect(compiledEntry([...(c.command ?? []), ...(c.args ?? [])])).toBe(name);
  });

  it.each(SERVICES)('%s runs at least two replicas, spread over nodes, behind a PodDisruptionBudget', (name) => {
    const w = workload(name);
    const hpa = hpas.find((h) => h.scaleTargetRef.kind === 'Deployment' && h.scaleTargetRef.name === name);
    // the gateway's replicas belong to its autoscaler (re-applying must not reset the scale)
    if (hpa) {
      expect(w.replicas).toBeUndefined();
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    } else expect(w.replicas).toBeGreaterThanOrEqual(2);
    const budgets = pdbs.filter((p) => matches(p.selector, w.labels));
    expect(budgets).toHaveLength(1);
    expect(budgets[0]!.minAvailable ?? budgets[0]!.maxUnavailable).toBe(1);
    expect(w.pod.topologySpreadConstraints?.some((t) => matches(t.labelSelector, w.labels))).toBe(true);
  });

  it.each(SERVICES)('%s is probed (liveness, readiness) on its health port', (name) => {
    const config = named('ConfigMap', 'mandant-config').data as Record<string, string>;
    const w = workload(name);
    const ports = containerPorts(w);
    expect(ports.get('health')).toBe(Number(config.HEALTH_PORT));
    for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
      const port = w.pod.containers[0]![probe]?.httpGet?.port;
      expect(typeof port === 'string' ? ports.get(port) : port, `${name} ${probe}`).toBe(Number(config.HEALTH_PORT));
    }
  });

  // The store images that cannot run locked down: qdrant's runs as root and writes below its
  // install directory, neo4j's writes its configuration at start. Both still drop every capability.
  const ROOT = new Set(['qdrant']);
  const WRITABLE_ROOT = new Set(['qdrant', 'neo4j']);

  it.each(workloads.map((w) => w.name))('%s: every container has requests and limits and runs locked down', (name) => {
    const w = workload(name);
    for (const c of allContainers(w)) {
      const where = `${name}/${c.name}`;
      for (const r of ['cpu', 'memory']) {
        expect(c.resources?.requests?.[r], `${where} requests.${r}`).toBeDefined();
        expect(c.resources?.limits?.[r], `${where} limits.${r}`).toBeDefined();
      }
      expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
      expect(c.securityContext?.capabilities?.drop, where).toContain('ALL');
      expect(c.securityContext?.privileged ?? false, where).toBe(false);
      if (!ROOT.has(name)) expect(c.securityContext?.runAsNonRoot ?? w.pod.securityContext?.runAsNonRoot, where).toBe(true);
      if (!WRITABLE_ROOT.has(name)) expect(c.securityContext?.readOnlyRootFilesystem, where).toBe(true);
    }
    expect(w.pod.automountServiceAccountToken).toBe(false);
  });

  it('the store exceptions are still needed (a store that no longer needs one is held to the rule)', () => {
    for (const name of ROOT) expect(workload(name).pod.securityContext?.runAsNonRoot).not.toBe(true);
    for (const name of WRITABLE_ROOT) expect(workload(name).pod.containers[0]!.securityContext?.readOnlyRootFilesystem).not.toBe(true);
  });
});

describe('network policies', () => {
  it('deny everything in the namespace by default', () => {
    expect(
      policies.some(
        (p) =>
          Object.keys(p.podSelector).length === 0 &&
          p.policyTypes.includes('Ingress') &&
          p.policyTypes.includes('Egress') &&
          p.ingress.length === 0 &&
          p.egress.length === 0,
      ),
    ).toBe(true);
  });

  it('let only the gateway take connections from outside the namespace: its API, and Prometheus on the health port', () => {
    const open = workloads.filter((w) => ingressOf(w).some((e) => e.startsWith('outside->'))).map((w) => w.name);
    expect(open).toEqual(['gateway']);
    expect(ingressOf(workload('gateway'))).toEqual(['outside->8080', 'outside->8081']);
    const scrape = policies.flatMap((p) => p.ingress.filter((r) => r.ports?.some((x) => x.port === 8081)).flatMap((r) => r.from ?? []));
    expect(scrape).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
  });

  it.each(Object.keys(EXPECTED_EGRESS))('let %s reach only what it uses', (name) => {
    expect(egressOf(workload(name))).toEqual([...EXPECTED_EGRESS[name]!].sort());
  });

  it('cover every workload, and every allowed connection is also let in by its target, on a port the target listens on', () => {
    expect(Object.keys(EXPECTED_EGRESS).sort()).toEqual(workloads.map((w) => w.name).sort());
    const edges = workloads.flatMap((w) =>
      egressOf(w)
        .filter((e) => e !== 'dns')
        .map((e) => [w.name, ...e.split(':')] as [string, string, string]),
    );
    for (const [from, to, port] of edges) {
      expect(ingressOf(workload(to)), `${from} -> ${to}:${port}`).toContain(`${from}->${port}`);
      expect([...containerPorts(workload(to)).values()], `${to} listens on ${port}`).toContain(Number(port));
    }
    // and nothing is let in that no one may send (a rule left over)
    for (const w of workloads)
      for (const e of ingressOf(w).filter((x) => !x.startsWith('outside->'))) {
        const [from, port] = e.split('->') as [string, string];
        expect(egressOf(workload(from)), `${e} into ${w.name}`).toContain(`${w.name}:${port}`);
      }
  });

  it('are all given to Tilt with the configuration, so none ends up uncategorized', () => {
    const tiltfile = readFileSync(join(REPO_ROOT, 'Tiltfile'), 'utf8');
    for (const p of policies) expect(tiltfile, p.name).toContain(`'${p.name}'`);
  });
});

describe('NATS', () => {
  it('is a StatefulSet of three JetStream nodes routed to each other, and the stream is kept on all three', () => {
    const nats = named('StatefulSet', 'nats').spec as { replicas: number; serviceName: string };
    expect(nats.replicas).toBe(3);
    const headless = named('Service', nats.serviceName).spec as { clusterIP?: string; publishNotReadyAddresses?: boolean };
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    const conf = (named('ConfigMap', 'nats-config').data as Record<string, string>)['nats.conf']!;
    expect(conf).toMatch(/jetstream\s*\{[^}]*store_dir:\s*\/data/);
    expect(conf).toMatch(/cluster\s*\{[^}]*port:\s*6222/);
    for (const i of [0, 1, 2]) expect(conf).toContain(`nats://nats-${i}.${nats.serviceName}:6222`);
    expect((named('ConfigMap', 'mandant-config').data as Record<string, string>).NATS_STREAM_REPLICAS).toBe('3');
    expect(workload('nats').pod.topologySpreadConstraints?.some((t) => matches(t.labelSelector, workload('nats').labels))).toBe(true);
    const budget = ofKind('PodDisruptionBudget').find((d) => matches((d.spec as { selector: Selector }).selector, workload('nats').labels));
    // one node at a time keeps the quorum of three
    expect((budget?.spec as { maxUnavailable?: number }).maxUnavailable).toBe(1);
  });
});

describe('docker-compose.yml', () => {
  let compose: Obj;
  beforeAll(() => {
    compose = parseCompose(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as Obj;
  });

  it('is valid against the Compose Specification schema', () => {
    expect(validateCompose(compose)).toEqual([]);
    expect(compose.name).toBe('mandant');
  });

  it('runs every Mandant service and the migration from the compiled build, with no TypeScript loader', () => {
    const services = compose.services as Record<string, { image?: string; build?: unknown; command?: string[] }>;
    const ours = Object.entries(services).filter(([, svc]) => svc.build !== undefined || svc.image?.startsWith('mandant/'));
    expect(ours.map(([name]) => name).sort()).toEqual([...SERVICES, 'migrate'].sort());
    for (const [name, svc] of ours) expect(compiledEntry(svc.command ?? []), name).toBe(name);
  });

  it('refuses unknown keys, in a service or at the top (extensions are x-…)', () => {
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA_PATH, 'utf8')) as {
      properties: Obj;
      definitions: { service: { properties: Obj } };
    };
    const services = Object.keys(compose.services as Obj);
    fc.assert(
      fc.property(fc.constantFrom(...services), fc.string({ minLength: 1 }), fc.jsonValue(), fc.boolean(), (service, name, value, top) => {
        const known = Object.keys(top ? schema.properties : schema.definitions.service.properties);
        fc.pre(!name.startsWith('x-') && !known.includes(name));
        const copy = structuredClone(compose);
        const target = top ? copy : ((copy.services as Obj)[service] as Obj);
        target[name] = value;
        expect(validateCompose(copy).length).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
    expect(validateCompose({ services: { a: { image: 'x', imagee: 'y' } } }).map((e) => e.message)).toContain(
      'must NOT have additional properties',
    );
  });

  it('refuses YAML that expands beyond bounds', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    expect(() => parseCompose(bomb.join('\n'))).toThrow();
  });
});
