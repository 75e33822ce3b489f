import { useCallback, useSyncExternalStore } from 'react';

/** Pinned projects, by id, in localStorage: a preference of this browser, nothing secret. */
const KEY = 'mandant.pinnedProjects';
const listeners = new Set<() => void>();

/** The pinned ids stored, whatever the storage holds (another version's value, a hand edit): only strings. */
export function parsePins(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value)
      ? [...new Set(value.filter((v): v is string => typeof v === 'string' && v.length <= 64))].slice(0, 200)
      : [];
  } catch {
    return [];
  }
}

let cache: { raw: string | null; pins: string[] } = { raw: null, pins: [] };
function read(): string[] {
  let raw: string | null = null;
  try {
    raw = localStorage.getItem(KEY);
  } catch {
    // storage refused (private mode, a policy): no pins
  }
  if (raw !== cache.raw) cache = { raw, pins: parsePins(raw) };
  return cache.pins;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

export function usePins(): [string[], (id: string) => void] {
  const pins = useSyncExternalStore(subscribe, read);
  const toggle = useCallback((id: string) => {
    const current = read();
    const next = current.includes(id) ? current.filter((p) => p !== id) : [...current, id];
    try {
      localStorage.setItem(KEY, JSON.stringify(next));
    } catch {
      // not kept: the pin lasts as long as the storage would have
    }
    for (const listener of listeners) listener();
  }, []);
  return [pins, toggle];
}
