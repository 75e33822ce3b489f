import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { z } from 'zod';
import type { ApiRoute } from '@mandant/gateway';
import { type Invalid, invalidValue, unstorableChar, validValue } from '@mandant/shared/testing';
import type { Kind, TenantWorld } from './fixture.ts';

/** Who sends: the tenant's roles, the operator, nobody, and a key that was never issued. */
export type Role = 'admin' | 'auditor' | 'padmin' | 'editor' | 'viewer' | 'outsider' | 'operator' | 'none' | 'junk';
const ROLES: Role[] = ['admin', 'auditor', 'padmin', 'editor', 'viewer', 'outsider', 'operator', 'none', 'junk'];

/** One generated request, and what the platform must do with it. */
export interface Hostile {
  route: ApiRoute;
  role: Role;
  /** relative to /api/v1, query included */
  path: string;
  headers: Record<string, string>;
  body?: { kind: 'json'; value: unknown } | { kind: 'raw'; bytes: Uint8Array | string; contentType: string };
  /** the input is wrong: the answer must be a 4xx (a 400 names `path` when `named`) */
  fault?: { path: string; kind: string; named: boolean };
  /** the server may answer by closing the connection (a truncated upload) */
  mayClose: boolean;
  correlationId: string;
  /** what was done, for the failure message */
  note: string;
}

/** Input field or path parameter → the kind of id it names. */
const KIND_OF: Record<string, Kind> = {
  project_id: 'project',
  user_id: 'user',
  document_id: 'document',
  document_ids: 'document',
  entity_id: 'entity',
  into: 'entity',
  conversation_id: 'conversation',
  key_id: 'api_key',
  tenant_id: 'tenant',
};

/** Routes that destroy or freeze what they name: never pointed at the fixture's own resources. */
const destructive = (route: ApiRoute) => route.method === 'DELETE' || route.name === 'archiveProject' || route.name === 'mergeEntity';

const MALFORMED_SEGMENTS = [
  'not-a-uuid',
  '%00',
  '%2e%2e',
  '..%2f..%2fevents',
  'x'.repeat(400),
  '%E0%A4%A',
  '%ZZ',
  '-1',
  '0',
  `${randomUUID()}%00`,
  encodeURIComponent('\u202e'),
  '%C0%AF',
];

const enc = new TextEncoder();

function pathArb(route: ApiRoute, w: TenantWorld, hostile: boolean): fc.Arbitrary<{ path: string; notes: string[] }> {
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
  const segment = (param: string) => {
    const kind = KIND_OF[route.params?.[param] ?? ''] ?? 'project';
    const own = destructive(route) ? [] : w.ids[kind];
    return fc.oneof(
      {
        weight: own.length > 0 ? 6 : 0,
        arbitrary:
          own.length > 0
            ? fc.constantFrom(...own).map((id) => ({ seg: id, note: `own ${kind}` }))
            : fc.constant({ seg: randomUUID(), note: 'missing' }),
      },
      { weight: 2, arbitrary: fc.uuid({ version: 7 }).map((id) => ({ seg: id, note: 'missing' })) },
      {
        weight: hostile ? 6 : 0,
        arbitrary: fc.constantFrom(...MALFORMED_SEGMENTS).map((seg) => ({ seg, note: `malformed ${seg.slice(0, 20)}` })),
      },
    );
  };
  return fc.tuple(...params.map(segment)).map((segs) => {
    let i = 0;
    const path = route.path.replace(/:(\w+)/g, () => segs[i++]?.seg ?? '');
    return { path, notes: segs.map((s) => s.note) };
  });
}

/** The route's input without the keys its path gives (those may not be sent again). */
function ownInput(route: ApiRoute): z.ZodObject | null {
  const schema = route.input as z.ZodObject | undefined;
  if (!schema || typeof schema.omit !== 'function') return null;
  const fromPath = Object.values(route.params ?? {});
  if (fromPath.length === 0) return schema;
  try {
    return schema.omit(Object.fromEntries(fromPath.map((k) => [k, true])) as never);
  } catch {
    return schema; // a refined schema cannot omit: its path keys then come back as a 400, still a refusal
  }
}

const idsFor = (w: TenantWorld) => (field: string) => {
  const kind = KIND_OF[field];
  return kind ? w.ids[kind] : [];
};

const toQuery = (value: unknown) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>))
    if (v !== undefined) params.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};

const RAW_QUERIES = [
  'limit=1&limit=2',
  'cursor=%',
  'cursor=%E0%A4%A',
  'query=%00',
  'after=-1',
  'limit=1e400',
  '__proto__%5Bx%5D=1',
  `query=${'q'.repeat(6000)}`,
  'depth=99999999999999999999',
  'status[]=processed',
  'cursor=MjAyNi0wMS0wMXx4',
];

function queryArb(
  route: ApiRoute,
  w: TenantWorld,
  hostile: boolean,
): fc.Arbitrary<{ query: string; fault?: Hostile['fault']; note: string }> {
  const schema = route.query ? ownInput(route) : null;
  const junk = fc.constantFrom(...RAW_QUERIES).map((q) => ({ query: `?${q}`, note: `raw query ${q.slice(0, 30)}` }));
  const none = fc.constant({ query: '', note: 'no query' });
  if (!schema) return hostile ? junk : none;
  const pools = { idsFor: idsFor(w) };
  if (!hostile)
    return fc.oneof(
      none,
      validValue(schema, pools).map((v) => ({ query: toQuery(v), note: 'valid query' })),
    );
  // a query carries text: a wrong type turns into a string on the way, and a lone surrogate into U+FFFD
  const faulty = invalidValue(schema, pools).filter(
    (f) => f.kind !== 'type' && (f.kind !== 'unstorable' || JSON.stringify(f.value).includes('\\u0000')),
  );
  return fc.oneof(
    { weight: 4, arbitrary: validValue(schema, pools).map((v) => ({ query: toQuery(v), note: 'valid query' })) },
    {
      weight: 4,
      arbitrary: faulty.map((f) => ({
        query: toQuery(f.value),
        fault: { path: f.path, kind: f.kind, named: true },
        note: `query fault ${f.kind} at ${f.path}`,
      })),
    },
    { weight: 2, arbitrary: junk },
  );
}

type BodyPick = Pick<Hostile, 'body' | 'fault' | 'note'> & { mayClose?: boolean };

/** Bodies the JSON parser itself must refuse, whatever the route. */
function rawBodies(valid: fc.Arbitrary<unknown>, oversize: boolean): fc.Arbitrary<BodyPick> {
  const fault = (note: string) => ({ path: 'body', kind: note, named: false });
  const raw = (bytes: Uint8Array | string, note: string, contentType = 'application/json'): BodyPick => ({
    body: { kind: 'raw', bytes, contentType },
    fault: fault(note),
    note,
  });
  return fc.oneof(
    // cut after at least one character: an empty body is no body, which is not a fault
    valid.chain((v) =>
      fc
        .integer({ min: 1, max: Math.max(1, JSON.stringify(v ?? {}).length - 1) })
        .map((cut) => raw(JSON.stringify(v ?? {}).slice(0, cut), `truncated JSON at ${cut}`)),
    ),
    fc.integer({ min: 33, max: 200_000 }).map((n) => raw(`${'['.repeat(n)}${']'.repeat(n)}`, `arrays ${n} deep`)),
    fc.integer({ min: 33, max: 50_000 }).map((n) => raw(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `objects ${n} deep`)),
    fc
      .constantFrom([0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82])
      .map((bad) =>
        raw(
          Uint8Array.from([...enc.encode('{"name":"'), ...bad, ...enc.encode('"}')]),
          `invalid UTF-8 ${bad.map((b) => b.toString(16)).join(' ')}`,
        ),
      ),
    fc
      .constantFrom('[]', '"x"', '1', 'null', 'true', '{"a":1}{"b":2}', '{"name":"a","name":"\\u0000"}', '{"__proto__":{"admin":true}}')
      .map((s) => raw(s, `odd JSON ${s}`)),
    valid.map((v) => raw(JSON.stringify(v ?? {}), 'JSON sent as text/plain', 'text/plain')),
    // the server may answer 413 and close before it has read the rest
    ...(oversize ? [fc.constant({ ...raw(JSON.stringify({ name: 'x'.repeat(1_100_000) }), 'over the body limit'), mayClose: true })] : []),
  );
}

const CRLF = '\r\n';

/** A multipart upload: a `file` part with optional form fields, possibly cut or otherwise wrong. */
function multipartArb(): fc.Arbitrary<BodyPick> {
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 });
  const field = fc.oneof(
    text,
    fc.tuple(text, unstorableChar).map(([t, c]) => `${t}${c}`),
  );
  return fc
    .record({
      boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,-]{1,60}$/),
      title: fc.option(field, { nil: undefined }),
      filename: fc.option(field, { nil: undefined }),
      content: text,
      extra: fc.constantFrom('', 'second-file', 'unknown-field', 'unknown-part'),
      cut: fc.option(fc.double({ min: 0.05, max: 0.98, noNaN: true }), { nil: undefined, freq: 2 }),
    })
    .map(({ boundary, title, filename, content, extra, cut }) => {
      const part = (headers: string, body: string) => `--${boundary}${CRLF}${headers}${CRLF}${CRLF}${body}${CRLF}`;
      let s = '';
      if (title !== undefined) s += part('Content-Disposition: form-data; name="title"', title);
      s += part(
        `Content-Disposition: form-data; name="file"${filename !== undefined ? `; filename="${filename.replace(/["\r\n]/g, '_')}"` : ''}${CRLF}Content-Type: text/plain`,
        content,
      );
      if (extra === 'second-file') s += part('Content-Disposition: form-data; name="file"; filename="b.txt"', 'second');
      if (extra === 'unknown-field') s += part('Content-Disposition: form-data; name="owner"', 'someone');
      if (extra === 'unknown-part') s += part('Content-Disposition: form-data; name="other"; filename="c.txt"', 'other');
      s += `--${boundary}--${CRLF}`;
      const bytes = enc.encode(s);
      const sent = cut === undefined ? bytes : bytes.slice(0, Math.floor(bytes.length * cut));
      // sent as UTF-8, a lone surrogate arrives as U+FFFD: only a NUL reaches the server unstorable
      const unstorable = [title, filename].some((v) => v?.includes('\u0000'));
      const wrong =
        cut !== undefined ? `cut at ${Math.round((cut ?? 0) * 100)} %` : extra !== '' ? extra : unstorable ? 'unstorable field' : null;
      return {
        body: { kind: 'raw' as const, bytes: sent, contentType: `multipart/form-data; boundary=${boundary}` },
        fault: wrong ? { path: 'body', kind: wrong, named: false } : undefined,
        mayClose: cut !== undefined,
        note: `multipart ${wrong ?? 'valid'}`,
      };
    });
}

const reads = (route: ApiRoute) => route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';

function bodyArb(route: ApiRoute, w: TenantWorld, hostile: boolean): fc.Arbitrary<BodyPick> {
  if (!reads(route)) return fc.constant({ note: 'no body' });
  const schema = ownInput(route);
  const pools = { idsFor: idsFor(w) };
  const valid = schema ? validValue(schema, pools) : fc.constant({});
  if (!hostile) return valid.map((value) => ({ body: { kind: 'json' as const, value }, note: 'valid JSON' }));
  const faulty: fc.Arbitrary<Invalid> | null = schema ? invalidValue(schema, pools) : null;
  const choices: fc.WeightedArbitrary<BodyPick>[] = [
    { weight: 3, arbitrary: valid.map((value) => ({ body: { kind: 'json' as const, value }, note: 'valid JSON' })) },
    { weight: 2, arbitrary: rawBodies(valid, route.handler !== 'upload') },
  ];
  if (faulty)
    choices.push({
      weight: 4,
      arbitrary: faulty.map((f) => ({
        body: { kind: 'json' as const, value: f.value },
        fault: { path: f.path, kind: f.kind, named: true },
        note: `JSON fault ${f.kind} at ${f.path}`,
      })),
    });
  if (route.handler === 'upload') choices.push({ weight: 4, arbitrary: multipartArb() });
  return fc.oneof(...choices);
}

/**
 * One request to `route` as any role, hostile in one place only (the path, the query or the
 * body), so the field a refusal must name is unambiguous.
 */
export function hostileRequest(route: ApiRoute, w: TenantWorld): fc.Arbitrary<Hostile> {
  const traceparent = fc.option(
    fc.constantFrom(
      '00-zz-zz-zz',
      `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`,
      'x'.repeat(2000),
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ),
    { nil: undefined },
  );
  const focus = fc.constantFrom(...(route.path.includes(':') ? ['path'] : []), 'query', ...(reads(route) ? ['body', 'body', 'body'] : []));
  return focus
    .chain((f) =>
      fc.record({
        role: fc.constantFrom(...ROLES),
        at: pathArb(route, w, f === 'path'),
        query: queryArb(route, w, f === 'query'),
        body: bodyArb(route, w, f === 'body'),
        traceparent,
      }),
    )
    .map(({ role, at, query, body, traceparent }): Hostile => ({
      route,
      role,
      path: `${at.path}${query.query}`,
      headers: traceparent ? { traceparent } : {},
      body: body.body,
      fault: body.fault ?? query.fault,
      mayClose: body.mayClose ?? false,
      correlationId: `hostile-${randomUUID()}`,
      note: [...at.notes, query.note, body.note].join('; '),
    }))
    .map((r) => Object.assign(r, { [fc.toStringMethod]: () => `${r.role} ${route.method} ${r.path.slice(0, 200)} (${r.note})` }));
}
