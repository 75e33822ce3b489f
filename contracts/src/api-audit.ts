import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { EventEnvelope } from './envelope.ts';

/**
 * What the audit and operations routes answer. The shapes are produced in shared/ (the event
 * store's chain report, the projection dead letters); these schemas state them for the API.
 */

const Position = z.number().int().nonnegative();

export const EventPage = z.object({
  events: z.array(EventEnvelope),
  next_after: Position.describe('pass as `after` for the next page (the last tenant_seq given, or `after` when none)'),
  head: Position.describe("the tenant's last tenant_seq"),
});

export const ChainReportView = z.object({
  ok: z.boolean(),
  checked: Position,
  last_seq: Position,
  last_hash: z.string(),
  first_broken: z
    .object({ tenant_seq: z.number().int().positive(), reason: z.string() })
    .nullable()
    .describe('the first position where order, continuity or a hash does not hold'),
});
export type ChainReportView = z.infer<typeof ChainReportView>;

export const DeadLetterView = z.object({
  projector: z.string(),
  tenant_seq: z.number().int().positive(),
  event_id: Id,
  type: z.string(),
  error: z.string().describe("safe text, never the event's content"),
  attempts: z.number().int().positive(),
  created_at: Timestamp,
  last_failed_at: Timestamp,
  retry_requested_at: Timestamp.nullable(),
});

export const ProjectionsStatus = z.object({
  tenant_id: Id,
  head: Position,
  projectors: z.array(
    z.object({
      name: z.string(),
      position: Position,
      lag: Position,
      dead_letters: Position,
      updated_at: Timestamp,
    }),
  ),
  dead_letters: z.array(DeadLetterView).describe("the first 100 dead letters (each projector's count above is whole)"),
});

export const RetryRequested = z.object({ requested: Position.describe('dead letters marked for a retry') });

/** The operational endpoints' bodies. */
export const LivenessView = z.object({ status: z.literal('ok') });
export const ReadinessView = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.boolean()).describe('each backing store or transport, and whether it answered'),
  details: z
    .object({
      embedding: z
        .object({
          model: z.string(),
          degraded: z.boolean(),
          reason: z.string().optional(),
        })
        .describe(
          'the default embedding model; `degraded` when a real model was wanted but is not installed and word hashing serves instead (search is then lexical, not semantic)',
        )
        .optional(),
    })
    .optional()
    .describe('how the process runs, beside whether it is ready'),
});
