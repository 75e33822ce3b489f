import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildInput } from './input.ts';
import { ProblemError } from './problem.ts';
import { type ApiRoute, apiRoutes } from './routes.ts';

const route = (name: string): ApiRoute => {
  const found = apiRoutes.find((r) => r.name === name);
  if (!found) throw new Error(`no route ${name}`);
  return found;
};
const failure = (fn: () => unknown): ProblemError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('expected a ProblemError');
};

describe('buildInput', () => {
  const p = randomUUID();
  const u = randomUUID();

  it('renames path parameters and merges the body, applying schema defaults', () => {
    expect(buildInput(route('putMember'), { params: { id: p, user_id: u }, query: {}, body: { role: 'viewer' } })).toEqual({
      project_id: p,
      user_id: u,
      role: 'viewer',
    });
    expect(buildInput(route('createProject'), { params: {}, query: {}, body: { name: ' Leaks ' } })).toEqual({
      name: 'Leaks',
      description: '',
      settings: {},
    });
  });

  it('reads the query only for routes that declare one, coercing numbers', () => {
    expect(buildInput(route('listEvents'), { params: {}, query: { after: '7' }, body: undefined })).toEqual({ after: 7, limit: 100 });
    expect(buildInput(route('getProject'), { params: { id: p }, query: { cache: '1' }, body: undefined })).toEqual({ project_id: p });
  });

  it('answers not_found for a malformed uuid in the path', () => {
    expect(failure(() => buildInput(route('getProject'), { params: { id: '42' }, query: {}, body: undefined })).code).toBe('not_found');
  });

  it('names the failing field in the detail', () => {
    const err = failure(() => buildInput(route('provisionTenant'), { params: {}, query: {}, body: { name: 'A', slug: '-bad-' } }));
    expect([err.code, err.message]).toEqual(['validation.failed', 'slug: lowercase letters, digits and single dashes']);
    expect(failure(() => buildInput(route('createUser'), { params: {}, query: {}, body: { name: 'A' } })).message).toMatch(/^email: /);
    expect(failure(() => buildInput(route('createProject'), { params: {}, query: {}, body: { name: 'A', nmae: 'B' } })).message).toBe(
      'nmae: unknown field',
    );
    expect(failure(() => buildInput(route('createApiKey'), { params: {}, query: {}, body: { name: 'k' } })).message).toBe(
      'role: give exactly one of user_id or role',
    );
  });

  it('refuses any body sent to a write that takes no input, instead of ignoring it', () => {
    const noInput = { ...route('createProject'), input: undefined };
    expect(buildInput(noInput, { params: {}, query: {}, body: undefined })).toEqual({});
    expect(buildInput(noInput, { params: {}, query: {}, body: {} })).toEqual({});
    expect(failure(() => buildInput(noInput, { params: {}, query: {}, body: { a: { a: 1 } } })).message).toBe(
      'a: unknown field (this route takes no body)',
    );
    expect(failure(() => buildInput(noInput, { params: {}, query: {}, body: [[[]]] })).message).toBe('body: expected a JSON object');
  });

  it('refuses a body that is not an object, or that repeats a path parameter', () => {
    expect(failure(() => buildInput(route('createProject'), { params: {}, query: {}, body: [1] })).message).toBe(
      'body: expected a JSON object',
    );
    expect(failure(() => buildInput(route('updateProject'), { params: { id: p }, query: {}, body: { project_id: u } })).message).toMatch(
      /^project_id: given by the path/,
    );
  });
});
