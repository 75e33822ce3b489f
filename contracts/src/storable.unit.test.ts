import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocumentFormInput, UploadDocumentInput } from './api.ts';
import { SearchFilters } from './api-knowledge.ts';
import { MAX_INPUT_DEPTH, findUnstorable, toStorableText, unstorableReason } from './storable.ts';

// Seeded so a failure replays: FC_SEED=<seed printed by fast-check> reruns the same cases.
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 300 };

/** Storable strings: printable ASCII and well-formed Unicode, never NUL or a lone surrogate. */
const clean = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }).filter((s) => unstorableReason(s) === null),
);
const cleanKey = clean.filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype');

/** Free-form JSON without any fault. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), clean),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(cleanKey, tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** A string Postgres cannot store: NUL or a lone surrogate at a random position of clean ASCII. */
const unstorable = fc
  .tuple(fc.string(), fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'), fc.string())
  .map(([a, bad, b]) => a + bad + b);

type Step = string | number;
/** The containers of `value` with their paths, the root included. */
function containers(value: unknown, path: Step[] = []): { at: Step[]; node: object }[] {
  if (value === null || typeof value !== 'object') return [];
  const children = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [{ at: path, node: value }, ...children.flatMap(([k, v]) => containers(v, [...path, k]))];
}

/** Free JSON with exactly one unstorable string, as a value or as a key, at a random place; and its path. */
const poisoned = fc
  .tuple(fc.dictionary(cleanKey, json, { maxKeys: 5 }), fc.nat(), fc.nat(), unstorable, fc.boolean(), json)
  .map(([base, pick, slot, bad, asKey, filler]) => {
    const doc = structuredClone(base);
    const all = containers(doc);
    const { at, node } = all[pick % all.length] as { at: Step[]; node: object };
    let step: Step;
    if (Array.isArray(node)) {
      step = slot % (node.length + 1);
      node.splice(step, 0, asKey ? { [bad]: filler } : bad);
      if (asKey) return { doc, path: [...at, step, bad].join('.') };
    } else {
      step = asKey ? bad : `k${slot}`;
      (node as Record<string, unknown>)[step] = asKey ? filler : bad;
    }
    return { doc, path: [...at, step].join('.') };
  });

describe('the storable-input rule', () => {
  it('accepts any JSON whose strings and keys Postgres can store', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(findUnstorable(v)).toBeNull();
      }),
      runs,
    );
  });

  it('names the exact path of a NUL or lone surrogate injected at any depth and position, in a key or a value', () => {
    fc.assert(
      fc.property(poisoned, ({ doc, path }) => {
        const issue = findUnstorable(doc);
        expect(issue?.path).toBe(path);
        expect(issue?.message).toMatch(/U\+0000|lone surrogate/);
      }),
      runs,
    );
  });

  it('prefixes the path with the given root', () => {
    expect(findUnstorable({ a: ['ok', 'b\u0000'] }, { root: 'settings' })).toEqual({
      path: 'settings.a.1',
      message: 'contains U+0000 (NUL), which cannot be stored',
    });
    expect(findUnstorable('x\ud800')?.path).toBe('body');
  });

  it('keeps surrogate pairs and refuses only halves', () => {
    expect(findUnstorable({ emoji: '👩‍👩‍👧 \u{10ffff}' })).toBeNull();
    expect(findUnstorable({ t: '\ud83d' })?.path).toBe('t');
    expect(findUnstorable({ t: '\ude00\ud83d' })?.path).toBe('t');
  });

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels, at any width, and accepts it up to there`, () => {
    const nest = (levels: number, kinds: boolean[]) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = kinds[i % kinds.length] ? [v] : { k: v };
      return v;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), (levels, kinds) => {
        const issue = findUnstorable(nest(levels, kinds));
        if (levels <= MAX_INPUT_DEPTH) expect(issue).toBeNull();
        else expect(issue?.message).toBe(`nested deeper than ${MAX_INPUT_DEPTH} levels`);
      }),
      runs,
    );
  });

  it('walks a value nested a million levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    expect(findUnstorable(deep)?.message).toMatch(/^nested deeper/);
  });

  it('refuses non-finite numbers and keys naming Object.prototype members', () => {
    expect(findUnstorable(JSON.parse('{"n":[1e400]}'))).toEqual({ path: 'n.0', message: 'not a finite number' });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(findUnstorable(JSON.parse(`{"settings":{"${key}":{"x":1}}}`))).toEqual({
        path: `settings.${key}`,
        message: 'reserved key name',
      });
    }
  });
});

describe('toStorableText', () => {
  it('makes any string storable and leaves storable strings as they are', () => {
    const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 });
    fc.assert(
      fc.property(anyUnits, (s) => {
        const out = toStorableText(s);
        expect(unstorableReason(out)).toBeNull();
        if (unstorableReason(s) === null) expect(out).toBe(s);
      }),
      runs,
    );
    expect(toStorableText('a\u0000b\ud800c\udc00')).toBe('ab\ufffdc\ufffd');
  });
});

describe('source_url', () => {
  it('accepts http and https URLs only', () => {
    for (const url of ['https://example.org/a?b=c', 'http://example.org', 'HTTPS://EXAMPLE.ORG/x']) {
      expect(DocumentFormInput.safeParse({ content: 'x', source_url: url }).success).toBe(true);
    }
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>',
      'file:///etc/passwd',
      'ftp://example.org',
      'vbscript:x',
      'mailto:a@b.c',
    ]) {
      expect(DocumentFormInput.safeParse({ content: 'x', source_url: url }).success).toBe(false);
      expect(UploadDocumentInput.shape.source_url.safeParse(url).success).toBe(false);
    }
  });
});

describe('search time filters', () => {
  it('accept times between the years 1 and 9999 in UTC only, the range every store can cast', () => {
    const instants = fc.date({ min: new Date(-62_135_596_800_000), max: new Date(253_402_300_799_999), noInvalidDate: true });
    fc.assert(
      fc.property(instants, (d) => {
        expect(SearchFilters.safeParse({ from: d.toISOString(), to: d.toISOString() }).success).toBe(true);
      }),
      runs,
    );
    for (const bad of ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59-14:00', '2020-02-30T00:00:00Z']) {
      expect(SearchFilters.safeParse({ from: bad }).success).toBe(false);
    }
  });
});
