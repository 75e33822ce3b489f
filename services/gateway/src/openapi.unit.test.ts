import { describe, expect, it } from 'vitest';
import { buildOpenApi } from './openapi.ts';
import { apiRoutes } from './routes.ts';

type Json = Record<string, any>;
const doc: Json = buildOpenApi(apiRoutes);
const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json })),
);

describe('the OpenAPI document', () => {
  it('answers every success with a named schema of the contracts, never a bare object', () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (!status.startsWith('2') || path === '/openapi.json') continue;
        for (const [media, content] of Object.entries((response.content ?? {}) as Json)) {
          if (media === 'application/json')
            expect([method, path, content.schema.$ref]).toEqual([method, path, expect.stringMatching(/^#\/components\/schemas\/\w+$/)]);
          else expect(['text/event-stream', 'text/plain']).toContain(media);
        }
        if (status !== '204') expect([method, path, Object.keys(response.content ?? {}).length > 0]).toEqual([method, path, true]);
      }
    }
    const schemas = doc.components.schemas as Json;
    expect(schemas.ProjectView.properties.stats.properties.documents.type).toBe('integer');
    expect(schemas.DocumentPage.properties.documents.items).toEqual({ $ref: '#/components/schemas/DocumentView' });
  });

  it('never repeats a path parameter as a query parameter (the server refuses it there)', () => {
    for (const { path, method, op } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const query = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query').map((p) => p.name);
      const repeated = query.filter(
        (q) => (q === 'project_id' && path.startsWith('/projects/{id}')) || (q === 'entity_id' && path.startsWith('/entities/{id}')),
      );
      expect([method, path, repeated]).toEqual([method, path, []]);
      expect([method, path, ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => p.name)]).toEqual([
        method,
        path,
        inPath,
      ]);
    }
    expect(doc.paths['/entities/{id}/neighbourhood'].get.parameters.map((p: Json) => p.name)).toEqual([
      'id',
      'depth',
      'limit',
      'project_id',
    ]);
  });

  it('states that an API key is for exactly one of a user or a role', () => {
    const schema = doc.paths['/api-keys'].post.requestBody.content['application/json'].schema;
    expect(schema.oneOf.map((s: Json) => s.required)).toEqual([
      ['name', 'user_id'],
      ['name', 'role'],
    ]);
  });

  it('declares the event streams, the multipart upload, the Prometheus text and the ops bodies', () => {
    const message = doc.paths['/chat/conversations/{id}/messages'].post.responses;
    expect(Object.keys(message['200'].content)).toEqual(['text/event-stream']);
    expect(message['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MessageView' });
    expect(Object.keys(doc.paths['/documents/{id}/status'].get.responses['200'].content)).toEqual(['text/event-stream']);
    const upload = doc.paths['/projects/{id}/documents'].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data', 'application/json']);
    expect(upload.requestBody.content['multipart/form-data'].schema.properties.file.format).toBe('binary');
    expect(upload.responses['202'].headers.Location).toBeDefined();
    expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    expect(doc.paths['/healthz'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/LivenessView',
    });
    expect(doc.paths['/readyz'].get.responses['503'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ReadinessView',
    });
    expect(doc.paths['/openapi.json'].get.responses['200'].content['application/json']).toBeDefined();
  });

  it('lists the refusals of each route as problem+json, with Retry-After and RateLimit headers where they apply', () => {
    const post = doc.paths['/projects/{id}/search'].post.responses;
    expect(Object.keys(post)).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '503']);
    expect(Object.keys(doc.components.responses.TooManyRequests.headers)).toEqual(
      expect.arrayContaining(['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
    );
    expect(Object.keys(doc.components.responses.Unavailable.headers)).toContain('Retry-After');
    expect(Object.keys(post['200'].headers)).toEqual(expect.arrayContaining(['RateLimit-Limit', 'Idempotent-Replayed']));
    // operator routes are not rate limited
    expect(doc.paths['/tenants'].post.responses['429']).toBeUndefined();
    expect(doc.components.responses.BadRequest.content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(doc.paths['/documents'].post.responses['408']).toBeDefined();
  });
});
