import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CreateProjectInput, Id, ProjectSlug, Slug, UpdateProjectInput, isUuidShaped } from '@mandant/contracts';
import { projectRefKind, projectRefsOf } from './project-refs.ts';
import { apiRoutes } from './routes.ts';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
/** any 8-4-4-4-12 hex string, valid UUID or not (any version and variant) */
const uuidShaped = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join('-'));
const slug = fc.stringMatching(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).filter((s) => s.length >= 2 && s.length <= 63);
const PROJECT = '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f';

describe('project slugs and ids', () => {
  it('refuses every UUID-shaped slug at create and rename, naming the field', () => {
    fc.assert(
      fc.property(uuidShaped, fc.boolean(), (s, upper) => {
        const value = upper ? s.toUpperCase() : s;
        expect(isUuidShaped(value)).toBe(true);
        expect(ProjectSlug.safeParse(value).success).toBe(false);
        const created = CreateProjectInput.safeParse({ name: 'Leaks', slug: value });
        const renamed = UpdateProjectInput.safeParse({ project_id: PROJECT, slug: value });
        for (const parsed of [created, renamed]) {
          expect(parsed.success).toBe(false);
          expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['slug']);
        }
      }),
    );
  });

  it('takes every other slug, and a path segment that is one is resolved as a slug', () => {
    fc.assert(
      fc.property(
        slug.filter((s) => !isUuidShaped(s)),
        (s) => {
          expect(ProjectSlug.safeParse(s).success).toBe(true);
          expect(CreateProjectInput.safeParse({ name: 'Leaks', slug: s }).success).toBe(true);
          expect(projectRefKind(s)).toBe('slug');
        },
      ),
    );
  });

  it('reads every UUID in a path as an id, in either case, and never as a slug', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), (id, upper) => {
        const value = upper ? id.toUpperCase() : id;
        expect(projectRefKind(value)).toBe(Id.safeParse(value).success ? 'id' : 'none');
      }),
    );
    fc.assert(
      fc.property(uuidShaped, (s) => {
        expect(projectRefKind(s)).not.toBe('slug');
      }),
    );
  });

  it('leaves what is neither an id nor a slug unresolved (the endpoint answers 404 as before)', () => {
    for (const ref of ['Not-A-Slug', 'a', 'x'.repeat(64), 'a--b', '-a', 'a b', '%00', '..', '00000000-0000-0000-0000-00000000000G']) {
      expect(projectRefKind(ref), ref).toBe('none');
      expect(Slug.safeParse(ref).success && !isUuidShaped(ref), ref).toBe(false);
    }
  });

  it('finds every route that names a project: its path parameter, else project_id in its body or query', () => {
    const named = Object.fromEntries(
      apiRoutes
        .map((r) => [r.name, projectRefsOf(r)])
        .filter(([, refs]) => {
          const r = refs as ReturnType<typeof projectRefsOf>;
          return r.params.length > 0 || r.field !== null;
        }),
    );
    // every /projects/:id route takes the slug in its path
    for (const route of apiRoutes.filter((r) => r.path.startsWith('/projects/:id')))
      expect(named[route.name], route.name).toEqual({ params: ['id'], field: null });
    expect(named.switchProject).toEqual({ params: [], field: 'body' });
    expect(named.listDocuments).toEqual({ params: [], field: 'query' });
    expect(named.getProject).toEqual({ params: ['id'], field: null });
    expect(named.getDocument).toBeUndefined();
  });
});
