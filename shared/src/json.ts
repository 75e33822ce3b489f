import type { Settings } from '@mandant/contracts';

/**
 * Applies a settings patch the way `PATCH …/settings` promises: a shallow merge where a key set
 * to `null` is removed (as in JSON Merge Patch, RFC 7386, but one level deep only). `undefined`
 * cannot arrive through JSON and is ignored. Built through a Map so that a `__proto__` key is an
 * ordinary key and never touches the prototype.
 *
 * Also used by the project decider.
 */
export function mergeSettings(current: Settings, patch: Record<string, unknown>): Settings {
  const next = new Map(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) next.delete(key);
    else if (value !== undefined) next.set(key, value);
  }
  return Object.fromEntries(next);
}

/**
 * Structural equality of JSON values (key order ignored), so that a command restating what is
 * already there emits nothing. Used by every decider.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length && keys.every((k) => Object.hasOwn(rb, k) && sameJson(ra[k], rb[k]));
}
