import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Who owns which table. A context's SQL names only its own tables; another context's data is
 * read through the functions that context exports (in-process). The infrastructure's tables
 * (the log, the outbox, checkpoints and dead letters, idempotency seals, data keys, and the
 * embedded store adapters' tables) belong to `shared` and are read through it by everyone.
 */
const TABLE_OWNERS: Record<string, readonly string[]> = {
  tenant: [
    'tenants_view',
    'api_keys_view',
    'tenant_slugs',
    'tenant_limits_view',
    'rate_buckets',
    'tenant_usage',
    'tenant_activity',
    'offboarded_tenants',
  ],
  project: ['projects_view', 'project_slugs'],
  membership: ['users_view', 'members_view', 'user_emails'],
  documents: ['documents_view', 'document_links_view', 'document_embeddings_view', 'document_hashes'],
  chat: ['conversations_view', 'conversation_messages_view'],
  ingestion: ['embedding_defaults'],
  shared: [
    'events',
    'tenant_heads',
    'outbox',
    'outbox_ranges',
    'projection_checkpoints',
    'projection_dead_letters',
    'idempotent_requests',
    'data_keys',
    'tenant_data_keys',
    'data_key_tombstones',
    'text_documents',
    'text_document_links',
    'vector_collections',
    'vector_points',
    'vector_document_links',
    'vector_tombstones',
    'graph_documents',
    'graph_entities',
    'graph_entity_aliases',
    'graph_entity_ids',
    'graph_links',
    'graph_mentions',
    'graph_projects',
    'graph_relations',
    'graph_appearances',
  ],
};

/**
 * SQL that names another context's table, each with why it is left: none. Where a package
 * cannot depend on the owner (the owner depends on it), it declares a port that the composition
 * fills with the owner's export (membership's ProjectLookup and ProjectDirectory, project's
 * DocumentCounts). A new entry needs a reason; an entry that no longer holds fails the test.
 */
const KNOWN: Record<string, string> = {};

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const owner = new Map(Object.entries(TABLE_OWNERS).flatMap(([ctx, tables]) => tables.map((t) => [t, ctx] as const)));

function* runningSources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing' && entry.name !== 'node_modules') yield* runningSources(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.fixture.ts')) yield path;
  }
}

/** Code without its comments (which may name any table), roughly: enough for table names. */
const withoutComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/** Each context's running sources, and shared's (which may name only the infrastructure's tables). */
function* contextSources(): Generator<[string, string]> {
  for (const service of readdirSync(join(root, 'services'))) {
    if (service === 'platform') continue; // the composition and the operator's tools: every context's, by design
    for (const file of runningSources(join(root, 'services', service, 'src'))) yield [service, file];
  }
  for (const file of runningSources(join(root, 'shared', 'src'))) yield ['shared', file];
}

function foreignTables(): string[] {
  const found = new Set<string>();
  for (const [context, file] of contextSources()) {
    const code = withoutComments(readFileSync(file, 'utf8'));
    for (const [table, ctx] of owner) {
      if (ctx === context || ctx === 'shared') continue;
      if (new RegExp(`\\b${table}\\b`).test(code)) found.add(`${relative(root, file)} → ${table} (${ctx})`);
    }
  }
  return [...found].sort();
}

describe('table ownership', () => {
  it("has no context (nor shared) name another context's table in its SQL, beyond the listed remainders", () => {
    const found = foreignTables();
    expect(found.filter((f) => !(f in KNOWN))).toEqual([]);
    expect(
      Object.keys(KNOWN)
        .filter((k) => !found.includes(k))
        .sort(),
    ).toEqual([]);
  });
});
