import { Id, findUnstorable } from '@mandant/contracts';
import type { z } from 'zod';
import { ProblemError } from './problem.ts';
import type { ApiRoute } from './routes.ts';

/** What the HTTP layer hands over: Express's parsed path parameters, query and JSON body. */
export interface RawRequest {
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
  body?: unknown;
}

/**
 * Builds a use case's input from the request: path parameters (renamed to the input's keys)
 * merged with the body (writes) or the query (reads that declare one), then parsed with the
 * contracts' schema so a bad request is refused here, naming the field, before any message
 * is sent. Services parse again: the gateway is not their only caller.
 *
 * Before any schema runs, the whole body or query is held to the contracts' storable-input rule
 * (no U+0000 or lone surrogate in any string or key, bounded depth, finite numbers): one check
 * for every field, free-form JSON included, and the walk cannot overflow where zod could.
 */
export function buildInput(route: ApiRoute, req: RawRequest): unknown {
  const fromPath: Record<string, string> = {};
  for (const [param, key] of Object.entries(route.params ?? {})) {
    const value = req.params[param];
    // A malformed id names a resource that cannot exist: that is a 404, not a 400.
    if (value === undefined || !Id.safeParse(value).success) throw new ProblemError('not_found', 'no such resource');
    fromPath[key] = value;
  }
  const schema = route.input;
  const source = sourceOf(route, req);
  if (!schema) {
    // a route that takes no input takes no body either: whatever is sent is refused, not ignored
    const sent = Object.keys(source);
    if (route.method !== 'GET' && route.method !== 'DELETE' && sent.length > 0) {
      throw validation(
        `${sent[0]}: unknown field (this route takes no body)`,
        sent.map((path) => ({ path, message: 'unknown field' })),
      );
    }
    return fromPath;
  }

  const unstorable = findUnstorable(source);
  if (unstorable) throw validation(`${unstorable.path}: ${unstorable.message}`, [unstorable]);
  for (const key of Object.keys(fromPath)) {
    if (key in source)
      throw validation(`${key}: given by the path, not the ${route.method === 'GET' ? 'query' : 'body'}`, [
        { path: key, message: 'given by the path' },
      ]);
  }
  const parsed = schema.safeParse({ ...source, ...fromPath });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap(describeIssue);
  const first = issues[0];
  throw validation(first ? `${first.path}: ${first.message}` : 'invalid input', issues);
}

/** Writes read the body; reads read the query only when they declare one (other query keys are ignored, like cache busters). */
function sourceOf(route: ApiRoute, req: RawRequest): Record<string, unknown> {
  if (route.method === 'GET' || route.method === 'DELETE') return route.query ? { ...req.query } : {};
  if (req.body === undefined) return {};
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw validation('body: expected a JSON object', [{ path: 'body', message: 'expected a JSON object' }]);
  }
  return req.body as Record<string, unknown>;
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** One zod issue as "field: message"; unknown keys are named one by one. */
export function describeIssue(issue: z.core.$ZodIssue): FieldIssue[] {
  const base = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: 'unknown field' }));
  }
  return [{ path: base || 'body', message: issue.message }];
}

function validation(detail: string, issues: FieldIssue[]): ProblemError {
  return new ProblemError('validation.failed', detail, { issues });
}
