import { z } from 'zod';

/**
 * Every refusal of the HTTP API: RFC 9457 problem details (`application/problem+json`). `type`
 * is a stable URI per kind of problem that clients branch on; further members depend on the
 * type (`issues` for invalid input, `retry_after` and `bucket` for rate limits, `limit`…).
 */
export const Problem = z
  .looseObject({
    type: z.url().describe('a stable URI under https://mandant.dev/problems/, one per kind of problem'),
    title: z.string().describe('the short, fixed summary of the type'),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('what went wrong with this request; for invalid input `field: message` of the first issue'),
    instance: z.string().describe('the path of the request'),
    correlation_id: z.string().describe('quote it when reporting a problem: every log line of the request carries it'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('invalid input: every field refused, by its dotted path'),
  })
  .meta({
    examples: [
      {
        type: 'https://mandant.dev/problems/validation-failed',
        title: 'Invalid request',
        status: 400,
        detail: 'name: Too small: expected string to have >=1 characters',
        instance: '/api/v1/projects',
        correlation_id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f',
        issues: [{ path: 'name', message: 'Too small: expected string to have >=1 characters' }],
      },
    ],
  });
