import { useSyncExternalStore } from 'react';
import type { PendingAnswer } from './answer.ts';

export type Asking = PendingAnswer & { conversationId: string; error: unknown };

/**
 * The answer being written and the unsent drafts, kept outside the components: opening a new
 * conversation moves from `chat` to `chat/{id}`, another route, which mounts the view anew, and
 * neither a question typed meanwhile nor a stream under way may be lost on the way. In memory only.
 */
let asking: Asking | null = null;
let controller: AbortController | null = null;
const drafts = new Map<string, string>();
const listeners = new Set<() => void>();

const notify = () => {
  for (const listener of listeners) listener();
};

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
};

export function useAsking(): Asking | null {
  return useSyncExternalStore(
    subscribe,
    () => asking,
    () => null,
  );
}

export function setAsking(update: Asking | null | ((current: Asking | null) => Asking | null)): void {
  asking = typeof update === 'function' ? update(asking) : update;
  notify();
}

/** A new stream: the previous one, if any, is stopped (one answer is written at a time). */
export function beginStream(): AbortController {
  controller?.abort();
  controller = new AbortController();
  return controller;
}

export function endStream(c: AbortController): void {
  if (controller === c) controller = null;
}

export function stopStream(): void {
  controller?.abort();
}

export const draftOf = (scope: string): string => drafts.get(scope) ?? '';
export function setDraft(scope: string, text: string): void {
  if (text === '') drafts.delete(scope);
  else drafts.set(scope, text);
}
