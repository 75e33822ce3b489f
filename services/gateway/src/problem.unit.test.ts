import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { RpcUnavailableError } from '@mandant/shared/rpc';
import { ProblemError, toProblem } from './problem.ts';

const ctx = { instance: '/api/v1/projects/1', correlationId: 'c-1' };
const problemOf = (err: unknown) => toProblem(err, ctx);

describe('toProblem', () => {
  it.each([
    ['validation.failed', 400, 'validation-failed'],
    ['unauthenticated', 401, 'unauthenticated'],
    ['forbidden', 403, 'forbidden'],
    ['not_found', 404, 'not-found'],
    ['project.deleted', 404, 'project-deleted'],
    ['conflict', 409, 'conflict'],
    ['version.conflict', 409, 'version-conflict'],
    ['slug.taken', 409, 'slug-taken'],
    ['email.taken', 409, 'email-taken'],
    ['tenant.exists', 409, 'tenant-exists'],
    ['project.archived', 409, 'project-archived'],
    ['idempotency.key_invalid', 400, 'idempotency-key-invalid'],
    ['idempotency.in_progress', 409, 'idempotency-in-progress'],
    ['idempotency.reply_lost', 409, 'idempotency-reply-lost'],
    ['idempotency.key_reused', 422, 'idempotency-key-reused'],
  ])('maps the code %s to %i with a stable type', (code, status, slug) => {
    const p = problemOf(new ProblemError(code, 'why'));
    expect(p.status).toBe(status);
    expect(p.body).toMatchObject({
      type: `https://mandant.dev/problems/${slug}`,
      status,
      detail: 'why',
      instance: ctx.instance,
      correlation_id: 'c-1',
    });
  });

  it('asks a retry of an idempotent request still in progress to come back in a second', () => {
    expect(problemOf(new ProblemError('idempotency.in_progress', 'x')).headers['Retry-After']).toBe('1');
    expect(problemOf(new ProblemError('idempotency.reply_lost', 'x')).headers['Retry-After']).toBeUndefined();
  });

  it('adds WWW-Authenticate to a 401', () => {
    expect(problemOf(new ProblemError('unauthenticated', 'x')).headers['WWW-Authenticate']).toMatch(/^Bearer/);
  });

  it('spreads service details into the body without letting them override the standard members', () => {
    const p = problemOf(new ProblemError('slug.taken', 'taken', { field: 'slug', status: 200, type: 'x' }));
    expect(p.body).toMatchObject({ field: 'slug', status: 409, type: 'https://mandant.dev/problems/slug-taken' });
  });

  it('hides the message, details and cause of internal errors and unknown codes', () => {
    for (const err of [
      new Error('password=hunter2'),
      new ProblemError('internal', 'db at 10.0.0.1 down', { host: '10.0.0.1' }),
      new ProblemError('weird.code', 'secret'),
    ]) {
      const p = problemOf(err);
      expect(p.status).toBe(500);
      expect(p.body.type).toBe('https://mandant.dev/problems/internal-error');
      expect(JSON.stringify(p.body)).not.toMatch(/hunter2|10\.0\.0\.1|secret/);
      expect(p.cause).toBe(err);
    }
  });

  it('maps an unreachable service to 503 with Retry-After', () => {
    const p = problemOf(new RpcUnavailableError('request project.get failed'));
    expect(p.status).toBe(503);
    expect(p.body.type).toBe('https://mandant.dev/problems/service-unavailable');
    expect(p.headers['Retry-After']).toBeDefined();
  });

  it('maps body-parser failures reported by the HTTP adapter: too large, malformed, unsupported', () => {
    const tooLarge = new HttpException('request entity too large', 413, {
      cause: Object.assign(new Error('too large'), { type: 'entity.too.large' }),
    });
    expect(problemOf(tooLarge).body.type).toBe('https://mandant.dev/problems/payload-too-large');
    const malformed = new BadRequestException('Unexpected token', {
      cause: Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed' }),
    });
    expect([problemOf(malformed).status, problemOf(malformed).body.type]).toEqual([400, 'https://mandant.dev/problems/malformed-json']);
    expect(problemOf(new HttpException('unsupported charset', 415)).status).toBe(415);
  });

  it('maps an unknown route to a not-found problem', () => {
    const p = problemOf(new NotFoundException('Cannot GET /x'));
    expect([p.status, p.body.type]).toEqual([404, 'https://mandant.dev/problems/not-found']);
  });
});
