import fc from 'fast-check';
import type { z } from 'zod';

/**
 * fast-check arbitraries read off a zod 4 schema, for the property-based suites that send
 * extreme and invalid values to every route. Two flavours:
 * - `validValue`: inside the schema but at its edges (longest strings of awkward but storable
 *   Unicode, boundary numbers, deep free-form JSON with odd keys);
 * - `invalidValue`: a valid value with exactly one field made wrong (wrong type, out of range,
 *   malformed format, an unknown key, a missing required field, or a string Postgres cannot store),
 *   together with the path of that field.
 * Only the schema kinds the contracts use are read; anything else falls back to free JSON.
 */

type Def = { type: string; [key: string]: unknown };
type Check = { check: string; minimum?: number; maximum?: number; value?: number; inclusive?: boolean; format?: string; pattern?: RegExp };

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def): Check[] => ((def.checks as { _zod: { def: Check } }[] | undefined) ?? []).map((c) => c._zod.def);

/** Storable in Postgres text and jsonb, and awkward everywhere else. */
const awkwardChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  fc.constantFrom(
    '\u202e',
    '\u200b',
    '\ufeff',
    '\u0301',
    '\uffff',
    '\u2028',
    '\u0001',
    '\u001f',
    '\u007f',
    '\t',
    '\n',
    '"',
    '\\',
    '<',
    '%',
    "'",
    '{',
    '$',
  ),
  fc.constantFrom('日本', 'ü', 'ß', 'İ', 'Σ', '👩‍👩‍👧', '🏳️‍🌈', '\u{1f600}', '\u{10ffff}', 'a\u0308'),
);

/** Characters Postgres `text`/`jsonb` cannot hold: NUL and lone surrogates. */
export const unstorableChar = fc.constantFrom('\u0000', '\ud800', '\udfff', '\udc00x', 'x\ud83d');

const awkwardString = (min: number, max: number) =>
  fc
    .oneof(
      fc.array(awkwardChar, { minLength: min, maxLength: Math.min(max, 40) }).map((cs) => cs.join('')),
      // the longest the schema allows, counted in UTF-16 units as zod counts
      fc
        .constant(max)
        .filter((m) => m < 100_000)
        .chain((m) => fc.constantFrom('x', 'é', '日').map((c) => c.repeat(m))),
    )
    .map((s) => s.slice(0, max))
    .filter((s) => s.length >= min && s.trim().length >= Math.min(min, 1));

const lengthBounds = (def: Def) => {
  let min = 0;
  let max: number | undefined;
  for (const c of checksOf(def)) {
    if (c.check === 'min_length' && c.minimum !== undefined) min = c.minimum;
    if (c.check === 'max_length' && c.maximum !== undefined) max = c.maximum;
  }
  return { min, max };
};

const numberBounds = (def: Def) => {
  let min = -1e9;
  let max = 1e9;
  let integer = false;
  for (const c of checksOf(def)) {
    if (c.check === 'greater_than' && c.value !== undefined) min = c.inclusive ? c.value : c.value + 1;
    if (c.check === 'less_than' && c.value !== undefined) max = c.inclusive ? c.value : c.value - 1;
    if (c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32')) integer = true;
  }
  return { min, max, integer };
};

const formatOf = (def: Def): string | undefined =>
  (def.format as string | undefined) ?? checksOf(def).find((c) => c.check === 'string_format')?.format;
const patternOf = (def: Def): RegExp | undefined => checksOf(def).find((c) => c.check === 'string_format' && c.format === 'regex')?.pattern;

/** A rule of the schema's own (`refine`) that no generator reads: the values drawn ask the schema. */
const keptBy = (schema: unknown, def: Def, values: fc.Arbitrary<unknown>) =>
  checksOf(def).some((c) => c.check === 'custom') && typeof (schema as Partial<z.ZodType>).safeParse === 'function'
    ? values.filter((v) => (schema as z.ZodType).safeParse(v).success)
    : values;

/** Free-form JSON: deep, wide, with keys as awkward as values. */
export const awkwardJson: fc.Arbitrary<unknown> = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), awkwardString(0, 60)),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(awkwardString(1, 30), tie('json'), { maxKeys: 4 }),
  ),
})).json;

export interface Pools {
  /** ids a field of this name may take (the caller's own resources); otherwise a fresh uuid */
  idsFor?: (field: string) => readonly string[];
}

/** A value the schema accepts, chosen at its edges. */
export function validValue(schema: unknown, pools: Pools = {}, field = ''): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string': {
      const format = formatOf(def);
      if (format === 'uuid' || format === 'guid') {
        const own = pools.idsFor?.(field) ?? [];
        return own.length > 0 ? fc.oneof(fc.constantFrom(...own), fc.uuid({ version: 7 })) : fc.uuid({ version: 7 });
      }
      if (format === 'email')
        return fc.tuple(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.stringMatching(/^[a-z]{1,12}$/)).map(([u, d]) => `${u}@${d}.example`);
      if (format === 'url')
        return fc
          .tuple(fc.constantFrom('http', 'https', 'HTTPS'), fc.webPath(), fc.webQueryParameters())
          .map(([s, p, q]) => `${s}://example.org${p}${q ? `?${q}` : ''}`);
      const date = fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true });
      if (format === 'datetime') {
        // any instant, or one on a whole minute or day (what a refinement may ask for)
        const unit = fc.constantFrom(1, 60_000, 86_400_000);
        const instants = fc.tuple(date, unit).map(([d, u]) => new Date(Math.floor(d.getTime() / u) * u).toISOString());
        return keptBy(schema, def, instants);
      }
      if (format === 'date') return date.map((d) => d.toISOString().slice(0, 10));
      const pattern = patternOf(def) ?? (def.pattern instanceof RegExp ? def.pattern : undefined);
      const { min, max } = lengthBounds(def);
      if (pattern) return fc.stringMatching(pattern).filter((s) => s.length >= min && s.length <= (max ?? Infinity));
      return awkwardString(min, max ?? 300);
    }
    case 'number': {
      const { min, max, integer } = numberBounds(def);
      const edges = fc.constantFrom(min, max);
      return integer ? fc.oneof(edges, fc.integer({ min, max })) : fc.oneof(edges, fc.double({ min, max, noNaN: true }));
    }
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(validValue(def.innerType, pools, field), { nil: undefined, freq: 3 });
    case 'nullable':
      return fc.option(validValue(def.innerType, pools, field), { nil: null, freq: 3 });
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map((o) => validValue(o, pools, field)));
    case 'pipe':
      return validValue(def.in, pools, field);
    case 'array': {
      const { min, max } = lengthBounds(def);
      return fc.array(validValue(def.element, pools, field), { minLength: min, maxLength: Math.min(max ?? 20, 20) });
    }
    case 'record':
      return fc.dictionary(awkwardString(1, 40), awkwardJson, { maxKeys: 6 });
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      const entries = Object.entries(shape).map(([key, s]) => [key, validValue(s, pools, key)] as const);
      const values = fc.tuple(...entries.map(([, a]) => a)).map((vs) => {
        const out: Record<string, unknown> = {};
        entries.forEach(([key], i) => {
          if (vs[i] !== undefined) out[key] = vs[i];
        });
        return out;
      });
      // a rule across fields (exactly one of two, say) is the schema's own: ask it
      return checksOf(def).length > 0 ? values.filter((v) => (schema as z.ZodType).safeParse(v).success) : values;
    }
    default:
      return awkwardJson;
  }
}

export interface Invalid {
  value: unknown;
  /** the field made wrong, dotted */
  path: string;
  /** what was done to it */
  kind: 'type' | 'range' | 'format' | 'unknown_key' | 'missing' | 'unstorable';
}

const wrongTypes = fc.constantFrom<unknown>(null, 0, -1, 1.5, true, 'x', [], {}, [null], { a: 1 }, 1e300);

/** Inserts an unstorable character somewhere in `s`. */
const poison = (s: string) => fc.tuple(unstorableChar, fc.nat({ max: s.length })).map(([c, at]) => s.slice(0, at) + c + s.slice(at));

/** The string leaves of a JSON value with their paths (keys count as strings too). */
function stringLeaves(value: unknown, path: string[] = []): { path: string[]; key: boolean }[] {
  if (typeof value === 'string') return [{ path, key: false }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], key: true }, ...stringLeaves(v, [...path, k])]);
  }
  return [];
}

function setAt(value: unknown, path: string[], update: (old: unknown) => unknown, renameKey?: string): unknown {
  if (path.length === 0) return update(value);
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === head ? setAt(v, rest, update, renameKey) : v));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== head) out[k] = v;
    else if (rest.length === 0 && renameKey !== undefined) out[renameKey] = v;
    else out[k] = setAt(v, rest, update, renameKey);
  }
  return out;
}

/** Whether a node of this kind takes `value` for its type (coercing ones take most things). */
function acceptsAsType(def: Def, value: unknown): boolean {
  if (def.coerce) return def.type !== 'number' || Number.isFinite(Number(value));
  if (def.type === 'string') return typeof value === 'string';
  if (def.type === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (def.type === 'boolean') return typeof value === 'boolean';
  if (def.type === 'record' || def.type === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value);
  if (def.type === 'array') return Array.isArray(value);
  return def.type === 'unknown' || def.type === 'any';
}

/** A wrong value for one schema node (not reaching into its children). */
function wrongFor(def: Def): fc.Arbitrary<{ value: unknown; kind: Invalid['kind'] }> {
  const type = fc
    .record({ value: wrongTypes, kind: fc.constant<Invalid['kind']>('type') })
    .filter(({ value }) => !acceptsAsType(def, value));
  if (def.type === 'string') {
    const { min, max } = lengthBounds(def);
    const format = formatOf(def);
    const alts: fc.Arbitrary<{ value: unknown; kind: Invalid['kind'] }>[] = [type];
    if (max !== undefined && max < 100_000) alts.push(fc.constant({ value: 'y'.repeat(max + 1), kind: 'range' as const }));
    if (min > 0) alts.push(fc.constant({ value: '', kind: 'range' as const }));
    if (format)
      alts.push(
        fc
          .constantFrom(
            'Not A Thing!',
            'javascript:alert(1)',
            '00000000-0000-0000-0000-00000000000g',
            '1999-13-45T99:00:00Z',
            '../../etc/passwd',
            'data:text/html,x',
          )
          .map((value) => ({ value, kind: 'format' as const })),
      );
    alts.push(
      validValue({ _zod: { def } })
        .chain((v) => poison(typeof v === 'string' && v.length > 0 ? v : 'x'))
        .map((value) => ({ value, kind: 'unstorable' as const })),
    );
    return fc.oneof(...alts);
  }
  if (def.type === 'number') {
    const { min, max, integer } = numberBounds(def);
    const out = [min - 1, max + 1, ...(integer ? [min + 0.5] : []), 1e300, -1e300].filter(
      (n) => n < min || n > max || (integer && !Number.isInteger(n)),
    );
    return fc.oneof(
      type,
      fc.constantFrom(...out).map((value) => ({ value, kind: 'range' as const })),
    );
  }
  if (def.type === 'enum')
    return fc.oneof(
      type,
      fc
        .constantFrom('ADMIN', 'root', '', 'viewer ')
        .filter((v) => !Object.values(def.entries as object).includes(v))
        .map((value) => ({ value, kind: 'format' as const })),
    );
  return type;
}

/** The schema nodes of an object schema with their paths: where a single fault can go. */
function slots(schema: unknown, path: string[] = []): { path: string[]; node: z.ZodType; def: Def; required: boolean }[] {
  let node = schema as z.ZodType;
  let required = true;
  for (
    let def = defOf(node);
    def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'pipe';
    def = defOf(node)
  ) {
    if (def.type !== 'nullable' && def.type !== 'pipe') required = false;
    node = (def.type === 'pipe' ? def.in : def.innerType) as z.ZodType;
  }
  const def = defOf(node);
  // the wrapper decides what is refused (null is fine where nullable); the inner kind what to try
  const here = path.length > 0 ? [{ path, node: schema as z.ZodType, def, required }] : [];
  if (def.type === 'object')
    return [...here, ...Object.entries(def.shape as Record<string, unknown>).flatMap(([k, s]) => slots(s, [...path, k]))];
  return here;
}

/** A value with exactly one fault, and where it is. `schema` must be an object schema. */
export function invalidValue(schema: unknown, pools: Pools = {}): fc.Arbitrary<Invalid> {
  const all = slots(schema);
  const strict = defOf(schema).type === 'object' && defOf(defOf(schema).catchall ?? { _zod: { def: { type: 'none' } } }).type === 'never';
  return validValue(schema, pools).chain((base) => {
    const faults: fc.Arbitrary<Invalid>[] = [];
    for (const slot of all) {
      // the node itself must refuse it (a pattern may happen to match, a bound may not exist); unstorable text is refused by the platform, not by zod
      const wrong = wrongFor(slot.def).filter(({ value, kind }) => kind === 'unstorable' || !slot.node.safeParse(value).success);
      faults.push(wrong.map(({ value, kind }) => ({ value: setPath(base, slot.path, value), path: slot.path.join('.'), kind })));
      if (slot.required && slot.path.length === 1)
        faults.push(fc.constant({ value: omit(base, slot.path[0] ?? ''), path: slot.path.join('.'), kind: 'missing' as const }));
    }
    if (strict)
      faults.push(
        fc
          .constantFrom('__proto__', 'constructor', 'tenant_id', 'extra', 'is_admin')
          .map((k) => ({ value: { ...(base as object), [k]: 1 }, path: k, kind: 'unknown_key' as const })),
      );
    // an unstorable character in any string already there, deep JSON and object keys included
    const leaves = stringLeaves(base);
    if (leaves.length > 0) {
      faults.push(
        fc.constantFrom(...leaves).chain((leaf) => {
          const last = leaf.path.at(-1) ?? '';
          return leaf.key
            ? poison(last).map((bad) => ({
                value: setAt(base, leaf.path, (v) => v, bad),
                path: [...leaf.path.slice(0, -1), bad].join('.'),
                kind: 'unstorable' as const,
              }))
            : fc
                .constant(null)
                .chain(() => poison(String(pathGet(base, leaf.path))))
                .map((bad) => ({ value: setAt(base, leaf.path, () => bad), path: leaf.path.join('.'), kind: 'unstorable' as const }));
        }),
      );
    }
    return fc.oneof(...faults);
  });
}

const pathGet = (value: unknown, path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

function setPath(base: unknown, path: string[], value: unknown): unknown {
  const [head, ...rest] = path as [string, ...string[]];
  const obj = (base && typeof base === 'object' && !Array.isArray(base) ? base : {}) as Record<string, unknown>;
  return { ...obj, [head]: rest.length === 0 ? value : setPath(obj[head], rest, value) };
}

function omit(base: unknown, key: string): unknown {
  const { [key]: _, ...rest } = base as Record<string, unknown>;
  return rest;
}
