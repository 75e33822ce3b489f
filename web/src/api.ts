import { type MandantClient, type Middleware, type Problem, createMandantClient } from '@mandant/client';

/**
 * The console's one API client: same origin, authenticated by the session cookie the gateway
 * sets at sign-in. Writes carry the session's CSRF token, which lives in memory only (read again
 * from GET /session after a reload), never in localStorage.
 */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && UNSAFE.has(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

export const API_BASE = '/api/v1';

export const api: MandantClient = createMandantClient({ baseUrl: API_BASE, credentials: 'same-origin' });
api.use(csrf);

/** Headers for the few calls made outside the typed client (uploads with progress, streams). */
export function writeHeaders(): Record<string, string> {
  return csrfToken ? { 'x-csrf-token': csrfToken } : {};
}

/** A refusal of the API as the console shows it: the problem's title and detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `The server answered ${status}`);
  }
}

/**
 * The data of an openapi-fetch answer, or an ApiError carrying its problem: what TanStack Query's
 * query and mutation functions return, so refusals surface as errors the views show.
 */
export function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || !answer.response.ok) {
    const problem = (answer.error && typeof answer.error === 'object' ? answer.error : {}) as Partial<Problem>;
    throw new ApiError(answer.response.status, problem);
  }
  return answer.data as T;
}
