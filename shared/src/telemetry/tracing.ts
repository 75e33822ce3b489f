import {
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';

/**
 * The spans Mandant adds to the auto-instrumented ones, so one request is one trace across
 * processes: the trace context travels as a W3C `traceparent` on RPC requests (the request's
 * meta, and a NATS header) and on events (the envelope keeps the appending request's, and the
 * relay repeats it as a header on the JetStream message). Work done for many requests at once
 * (a relay page, a projector page) is a trace of its own that links to each event's trace.
 * Without an SDK registered (telemetry/register.ts) every call here is the API's no-op.
 *
 * Attributes name tenants, projects, patterns and counts only: never a payload, a credential or
 * sealed content.
 */
export const tracer = trace.getTracer('mandant');

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/** The span context a `traceparent` names; null for anything else (a hostile header included). */
export function parseTraceparent(traceparent: string | null | undefined): SpanContext | null {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m?.[1] || !m[2] || !m[3]) return null;
  const ctx: SpanContext = { traceId: m[1], spanId: m[2], traceFlags: Number.parseInt(m[3], 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(ctx) ? ctx : null;
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** The `traceparent` of the span active now, or `fallback` when none is (telemetry off, no request). */
export function activeTraceparent(fallback: string | null = null): string | null {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && isSpanContextValid(sc) ? formatTraceparent(sc) : fallback;
}

/** A context whose parent is the remote span `traceparent` names, or the active one without it. */
export function contextFrom(traceparent: string | null | undefined): Context {
  const sc = parseTraceparent(traceparent);
  return sc ? trace.setSpanContext(context.active(), sc) : context.active();
}

/** Links to the distinct traces of `traceparents` (events of a page), skipping absent or malformed ones. */
export function linksTo(traceparents: Iterable<string | null | undefined>): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const tp of traceparents) {
    const sc = parseTraceparent(tp);
    if (!sc || seen.has(tp as string)) continue;
    seen.add(tp as string);
    links.push({ context: sc });
  }
  return links;
}

/**
 * Runs `fn` in a span named `name`, ended when it settles; a throw marks the span as failed (by
 * the error's name only: messages may quote input) and is rethrown.
 */
export function inSpan<T>(
  name: string,
  opts: { attributes?: Attributes; links?: Link[]; kind?: SpanKind; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes, links: opts.links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

const flushes = new Set<() => Promise<void>>();

/** Registers what exports the spans still buffered (the SDK's shutdown) before the process exits. */
export function onTelemetryFlush(flush: () => Promise<void>): void {
  flushes.add(flush);
}

/** Exports what is buffered, the spans of a drain included; never throws. */
export async function flushTelemetry(): Promise<void> {
  await Promise.allSettled([...flushes].map((f) => f()));
}

export { SpanKind };
