import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Harness, JWT_SECRET, OPERATOR } from '../e2e/harness.ts';
import { seededRandom } from '@mandant/shared/testing';
import { SETTLE_MS } from '@mandant/shared/testing';

export type Role = 'admin' | 'auditor' | 'padmin' | 'editor' | 'viewer' | 'outsider' | 'forged';
export type Kind = 'tenant' | 'project' | 'user' | 'document' | 'entity' | 'conversation' | 'api_key';

/** One tenant as the attack suite knows it: its credentials, every id it owns, and words only it uses. */
export interface TenantWorld {
  tag: string;
  id: string;
  tokens: Record<Exclude<Role, 'forged'>, string>;
  users: Record<'padmin' | 'editor' | 'viewer' | 'outsider', string>;
  ids: Record<Kind, string[]>;
  /** titles, names, document words and e-mails that exist only in this tenant */
  secrets: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic PRNG (mulberry32): the attack replays from its printed seed. */
export const prng = seededRandom;

/**
 * A JWT for `sub` in `tenantId`. A subject must be a user of the token's tenant: the suites that
 * forge one run with JWT_REGISTER_ON_FIRST_USE, and the `email` claim registers it on first use.
 */
export const jwtFor = (tenantId: string, sub: string) =>
  new SignJWT({ tenant_id: tenantId, roles: [], email: `${sub}@jwt.example` })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(JWT_SECRET));

/**
 * Builds one tenant through the API: two projects, a user of every project role and an outsider,
 * tenant admin and auditor keys, three documents (two in the first project, one unassigned)
 * processed to entities, a project and a global conversation with an answered message each, and
 * a recorded search. Every name carries the tenant's tag, so a leak is recognisable by text.
 */
export async function buildTenant(h: Harness, tag: string, person: string, org: string): Promise<TenantWorld> {
  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const secret = (s: string) => `${s}${tag}`;
  const created = await ok('POST', '/tenants', OPERATOR, { name: `Tenant ${tag}`, slug: `atk-${tag}` });
  const admin = created.admin_api_key as string;
  const id = created.tenant.id as string;
  const auditor = (await ok('POST', '/api-keys', admin, { name: `audit-${tag}`, role: 'auditor' })).secret as string;
  const users = {} as TenantWorld['users'];
  const tokens = { admin, auditor } as TenantWorld['tokens'];
  for (const role of ['padmin', 'editor', 'viewer', 'outsider'] as const) {
    const u = await ok('POST', '/users', admin, { email: `${role}.${tag}@example.org`, name: `${role} ${tag}` });
    users[role] = u.id;
    tokens[role] = (await ok('POST', '/api-keys', admin, { name: `${role}-${tag}`, user_id: u.id })).secret;
  }
  const p1 = (await ok('POST', '/projects', admin, { name: secret('Ledger case '), description: secret('Quiet work ') })).id as string;
  const p2 = (await ok('POST', '/projects', admin, { name: secret('Tender case ') })).id as string;
  await ok('PUT', `/projects/${p1}/members/${users.padmin}`, admin, { role: 'admin' });
  await ok('PUT', `/projects/${p1}/members/${users.editor}`, admin, { role: 'editor' });
  await ok('PUT', `/projects/${p1}/members/${users.viewer}`, admin, { role: 'viewer' });
  await ok('PUT', `/projects/${p2}/members/${users.viewer}`, admin, { role: 'viewer' });
  await ok('PUT', `/projects/${p2}/members/${users.editor}`, admin, { role: 'editor' });

  const texts = [
    {
      path: `/projects/${p1}/documents`,
      title: secret('Harbour ledger '),
      content: `${person} of ${org} paid ${secret('kxqvault')} 40000 euros in Panama. Contact ${tag}@${tag}.example.`,
    },
    {
      path: `/projects/${p1}/documents`,
      title: secret('Wire memo '),
      content: `${org} wired money to ${person} through ${secret('zlorbank')} in Berlin.`,
    },
    { path: '/documents', title: secret('Loose note '), content: `${person} met the board of ${org} about ${secret('frumptender')}.` },
  ];
  const documents: string[] = [];
  for (const t of texts) documents.push((await ok('POST', t.path, tokens.editor, { title: t.title, content: t.content })).id);
  await ok('POST', `/projects/${p2}/documents/link`, tokens.editor, { document_ids: [documents[1]] });
  for (const d of documents) {
    const deadline = Date.now() + SETTLE_MS;
    while ((await ok('GET', `/documents/${d}`, tokens.editor)).status !== 'processed') {
      if (Date.now() > deadline) throw new Error(`document ${d} not processed`);
      await sleep(100);
    }
  }
  const entities = (await ok('GET', '/entities?limit=500', admin)).entities as { id: string; name: string }[];
  const conversations: string[] = [];
  const c1 = await ok('POST', `/projects/${p1}/chat/conversations`, tokens.editor, { title: secret('Who paid ') });
  const c2 = await ok('POST', '/chat/conversations', tokens.viewer, { title: secret('Global look ') });
  conversations.push(c1.id, c2.id);
  await ok('POST', `/chat/conversations/${c1.id}/messages`, tokens.editor, { content: `Who paid ${secret('kxqvault')}?` });
  await ok('POST', `/chat/conversations/${c2.id}/messages`, tokens.viewer, { content: `What about ${org}?` });
  const search = await ok('POST', `/projects/${p1}/search`, tokens.viewer, { query: secret('kxqvault') });
  const keys = ((await ok('GET', '/api-keys', admin)).api_keys as { id: string }[]).map((k) => k.id);
  return {
    tag,
    id,
    tokens,
    users,
    ids: {
      tenant: [id],
      project: [p1, p2],
      user: Object.values(users),
      document: documents,
      entity: entities.map((e) => e.id),
      conversation: conversations,
      api_key: keys,
    },
    secrets: [
      ...texts.flatMap((t) => [t.title.trim(), ...t.content.split(/[\s.,?]+/).filter((w) => w.includes(tag))]),
      secret('Ledger case ').trim(),
      secret('Tender case ').trim(),
      secret('Who paid ').trim(),
      secret('Global look ').trim(),
      `atk-${tag}`,
      `Tenant ${tag}`,
      search.search_id as string,
      ...entities.map((e) => e.name).filter((n) => n.includes(person) || n.includes(org)),
    ],
  };
}

/** A random uuid no tenant owns. */
export const missingId = () => randomUUID();
