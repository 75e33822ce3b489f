import { DocumentAnalysis, DocumentVectors, ProcessedSecret, UploadedSecret } from '@mandant/contracts';
import type { ReadStores } from '@mandant/shared/stores';
import { DataKeyDestroyedError } from '@mandant/shared/stores/crypto';
import { openJson } from '@mandant/shared/stores/crypto';
import type { DocumentAt } from './document-state.ts';

/** The stores the document projectors write, and the keyring that opens sealed event fields. */
export type DocumentStores = Pick<ReadStores, 'vectors' | 'text' | 'graph' | 'blobs' | 'keyring'>;

/** An artefact an event names is no longer in the tenant's bucket: the document's content is erased. */
export class ArtefactGoneError extends Error {
  override readonly name = 'ArtefactGoneError';
  constructor(
    readonly tenantId: string,
    readonly key: string,
  ) {
    super(`artefact ${key} of tenant ${tenantId} is gone`);
  }
}

/** The content can never be read again (crypto-shredded key or deleted artefact): purge, do not retry. */
export const isErased = (err: unknown): boolean => err instanceof DataKeyDestroyedError || err instanceof ArtefactGoneError;

/**
 * Runs `project`; if the document's content turns out to be erased, runs `purge` instead of
 * failing, so a rebuild after crypto-shredding or deletion converges rather than dead-letters.
 */
export async function projectOrPurge(project: () => Promise<void>, purge: () => Promise<void>): Promise<void> {
  try {
    await project();
  } catch (err) {
    if (!isErased(err)) throw err;
    await purge();
  }
}

const decoder = new TextDecoder();

async function readArtefact(stores: DocumentStores, tenantId: string, key: string): Promise<unknown> {
  const bytes = await stores.blobs.get(tenantId, key);
  if (bytes === null) throw new ArtefactGoneError(tenantId, key);
  return JSON.parse(decoder.decode(bytes));
}

/**
 * A page's artefact reads: each key read once, and those `prefetch` names started ahead, at most
 * `limit` at a time, so a page's reads overlap instead of adding up. The projection still takes
 * them in its own order: a read that failed fails where the projection asks for it, as if read
 * then (and not at all when it never asks).
 */
export interface PageArtefacts {
  prefetch(keys: Iterable<string>): void;
  read(key: string): Promise<unknown>;
}

export function pageArtefacts(stores: DocumentStores, tenantId: string, limit = 8): PageArtefacts {
  const reads = new Map<string, Promise<unknown>>();
  const waiting: Array<() => void> = [];
  let running = 0;
  const next = (): void => {
    running -= 1;
    waiting.shift()?.();
  };
  const read = (key: string): Promise<unknown> => {
    let p = reads.get(key);
    if (!p) {
      p = new Promise<unknown>((resolve, reject) => {
        const go = (): void => {
          running += 1;
          readArtefact(stores, tenantId, key).then(resolve, reject).finally(next);
        };
        if (running < limit) go();
        else waiting.push(go);
      });
      p.catch(() => {}); // surfaces where the projection reads it
      reads.set(key, p);
    }
    return p;
  };
  return {
    prefetch(keys) {
      for (const key of keys) void read(key);
    },
    read,
  };
}

export async function readAnalysis(stores: DocumentStores, tenantId: string, key: string, page?: PageArtefacts): Promise<DocumentAnalysis> {
  return DocumentAnalysis.parse(await (page ? page.read(key) : readArtefact(stores, tenantId, key)));
}

export async function readVectors(stores: DocumentStores, tenantId: string, key: string, page?: PageArtefacts): Promise<DocumentVectors> {
  return DocumentVectors.parse(await (page ? page.read(key) : readArtefact(stores, tenantId, key)));
}

/** The title the read side shows: the processed title, else the uploaded title or file name. */
export async function documentTitle(stores: DocumentStores, tenantId: string, doc: DocumentAt): Promise<string | null> {
  if (doc.processed) {
    return ProcessedSecret.parse(await openJson(stores.keyring, tenantId, doc.documentId, doc.processed.sealed)).title;
  }
  if (doc.uploadedSealed) {
    const secret = UploadedSecret.parse(await openJson(stores.keyring, tenantId, doc.documentId, doc.uploadedSealed));
    return secret.title ?? secret.filename;
  }
  return null;
}
