/**
 * Rules every input obeys, whatever its schema, checked by one walk at each boundary that
 * receives input (the gateway for HTTP, the RPC server for every service), so no field can be
 * forgotten:
 *
 * - every string, object key included, can be stored by Postgres `text` and `jsonb`: no U+0000
 *   and no lone UTF-16 surrogate (a NUL accepted here would be appended to the log and then
 *   fail every projection of it);
 * - containers nest at most `MAX_INPUT_DEPTH` levels, so no later recursion (zod, JSON
 *   serialisation, structured clone, canonical hashing) can overflow the stack;
 * - numbers are finite (`1e400` parses to Infinity, which JSON cannot carry back);
 * - no object key names an `Object.prototype` member (`__proto__`, `constructor`,
 *   `prototype`), which code reading a key of free-form JSON would otherwise inherit.
 *
 * The walk is iterative (an explicit stack): the hostile depth it refuses cannot overflow it.
 */
export const MAX_INPUT_DEPTH = 32;

export interface InputIssue {
  /** the field, dot-separated from the input's root (array items by index; keys as given, even a key at fault) */
  path: string;
  message: string;
}

const NUL = '\u0000';
// a high surrogate not followed by a low one, or a low one not preceded by a high one
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why Postgres cannot store `s` (as text or inside jsonb), or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.includes(NUL)) return 'contains U+0000 (NUL), which cannot be stored';
  if (LONE_SURROGATE.test(s)) return 'contains a lone surrogate (not valid Unicode)';
  return null;
}

// null is the root, so an empty key still counts as a segment
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * Text derived from content rather than given as input (what an extractor read out of a file),
 * made storable: NULs dropped and lone surrogates replaced by U+FFFD. Input a client sends is
 * refused instead (`findUnstorable`); a document's bytes are what they are.
 */
export function toStorableText(s: string): string {
  return s.replace(/\u0000/g, '').replace(LONE_SURROGATES, '\uFFFD');
}

const join = (base: string | null, segment: string): string => (base === null ? segment : `${base}.${segment}`);

interface Frame {
  value: unknown;
  path: string | null;
  depth: number;
}

/**
 * The first rule `value` breaks, or null. `root` prefixes every path (the issue of a
 * top-level scalar is named `root`, or `body` when there is none).
 */
export function findUnstorable(value: unknown, opts: { root?: string; maxDepth?: number } = {}): InputIssue | null {
  const maxDepth = opts.maxDepth ?? MAX_INPUT_DEPTH;
  const root = opts.root ?? null;
  const stack: Frame[] = [{ value, path: root, depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { value: v, path, depth } = frame;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) return { path: path ?? 'body', message: reason };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path: path ?? 'body', message: 'not a finite number' };
    } else if (typeof v === 'object' && v !== null) {
      if (depth + 1 > maxDepth) return { path: path ?? 'body', message: `nested deeper than ${maxDepth} levels` };
      if (Array.isArray(v)) {
        // pushed in reverse so the first offending item is the one reported
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, String(i)), depth: depth + 1 });
        continue;
      }
      const entries = Object.entries(v);
      for (const [key] of entries) {
        const reason = unstorableReason(key);
        if (reason) return { path: join(path, key), message: `key ${reason}` };
        if (RESERVED_KEYS.has(key)) return { path: join(path, key), message: 'reserved key name' };
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        stack.push({ value: item, path: join(path, key), depth: depth + 1 });
      }
    }
  }
  return null;
}
