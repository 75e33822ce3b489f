import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.ts';

export type { components, operations, paths };
/** A hook on every request and answer of a client (`client.use(middleware)`). */
export type { Middleware } from 'openapi-fetch';
/** A named schema of the API, e.g. `Schema<'DocumentView'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];
/** Every refusal: RFC 9457 problem details with a stable `type`. */
export type Problem = components['schemas']['Problem'];

/**
 * The media types the client types answers in: JSON, problem+json for refusals, and event
 * streams (a document's status; a chat answer asked with `stream: true`, which makes that call's
 * `data` a JSON message or a string), read with `parseAs: 'text'` or `'stream'`.
 */
type Media = 'application/json' | 'application/problem+json' | 'text/event-stream';
export type MandantClient = Client<paths, Media>;

export interface MandantClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** the API root, `/api/v1` included: `https://mandant.example/api/v1` */
  baseUrl: string;
  /** an API key (`mnd_…`), a JWT, or the operator token; null or absent: no Authorization header (single-tenant mode, probes) */
  token?: string | null;
  /** sent with every request */
  headers?: Record<string, string>;
}

/**
 * A typed client of the Mandant API (openapi-fetch over the generated `paths`): every path,
 * parameter, body and answer is checked against the API's OpenAPI document at compile time.
 * Calls answer `{ data, error, response }`: `data` on a 2xx, `error` (a Problem) otherwise.
 * A multipart upload passes `bodySerializer: toFormData`.
 */
export function createMandantClient({ baseUrl, token, headers, ...options }: MandantClientOptions): MandantClient {
  return createClient<paths, Media>({
    ...options,
    baseUrl,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

/** Sends an object as multipart/form-data (a Blob becomes a file part); fields left undefined are not sent. */
export function toFormData(body: Record<string, string | Blob | undefined>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value !== undefined) form.set(name, value);
  }
  return form;
}
