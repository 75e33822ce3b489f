import { z } from 'zod';

/** `domain.name.vN`: a published type string never changes meaning; a new shape is a new vN. */
export const EventType = z.string().regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$/, 'expected domain.name.vN');

export const Actor = z.string().min(1).max(200);

/** Who caused a change and why: arrives with every command, is copied onto every event. */
export const EventMeta = z.object({
  actor: Actor,
  correlation_id: z.string().min(1).max(200),
  causation_id: z.string().max(200).nullable().default(null),
  traceparent: z.string().max(200).nullable().default(null),
});
export type EventMeta = z.infer<typeof EventMeta>;

/** An event as a decider produces it: no position, no hash yet. */
export const NewEvent = z.object({
  id: z.uuid(),
  type: EventType,
  project_id: z.uuid().nullable(),
  occurred_at: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});
export type NewEvent = z.infer<typeof NewEvent>;

/** The envelope every stored and published event carries (see DESIGN.md, event contract). */
export const EventEnvelope = z.object({
  id: z.uuid(),
  type: EventType,
  tenant_id: z.uuid(),
  project_id: z.uuid().nullable(),
  stream: z.string().min(1).max(300),
  version: z.number().int().positive(),
  tenant_seq: z.number().int().positive(),
  occurred_at: z.iso.datetime({ offset: true }),
  actor: Actor,
  correlation_id: z.string(),
  causation_id: z.string().nullable(),
  traceparent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** NATS subject of an event: `events.{tenant_id}.{project_id or "_"}.{type}`. */
export function eventSubject(e: Pick<EventEnvelope, 'tenant_id' | 'project_id' | 'type'>): string {
  return `events.${e.tenant_id}.${e.project_id ?? '_'}.${e.type}`;
}
