import { type InfiniteData, type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Schema } from '@mandant/client';
import { api } from '../api.ts';
import { readEvents } from '../sse.ts';
import { type DocumentView, applyStatusEvent, isUnsettled } from './format.ts';

/**
 * At most this many status streams at once per page: the gateway allows 32 per tenant, shared
 * by every tab and person of the tenant; documents beyond them are caught by polling the list.
 */
export const MAX_STREAMS = 8;

type Pages = InfiniteData<Schema<'DocumentPage'>, string | null>;

/**
 * Follows the documents still being processed live: GET /documents/{id}/status as server-sent
 * events, each event written into the list's cache, the list read again when one settles.
 * Answers whether every unsettled document has a stream (else the caller polls the list).
 */
export function useLiveStatus(documents: readonly DocumentView[], listKey: QueryKey): { allFollowed: boolean } {
  const queryClient = useQueryClient();
  const open = useRef(new Map<string, AbortController>());
  const [failures, setFailures] = useState(0);
  const [following, setFollowing] = useState(0);
  const unsettled = documents.filter((d) => isUnsettled(d.status)).map((d) => d.id);
  const wanted = unsettled.join(',');
  const keyText = JSON.stringify(listKey);

  useEffect(() => {
    const streams = open.current;
    const ids = wanted ? wanted.split(',') : [];
    for (const [id, controller] of streams) {
      if (!ids.includes(id)) {
        controller.abort();
        streams.delete(id);
      }
    }
    const key = JSON.parse(keyText) as QueryKey;
    for (const id of ids) {
      if (streams.size >= MAX_STREAMS) break;
      if (streams.has(id)) continue;
      const controller = new AbortController();
      streams.set(id, controller);
      void (async () => {
        const answer = await api.GET('/documents/{id}/status', { params: { path: { id } }, parseAs: 'stream', signal: controller.signal });
        if (!answer.response.ok || !answer.data) throw new Error(`status stream ${answer.response.status}`);
        await readEvents(answer.data, (e) => {
          if (e.event !== 'status') return;
          queryClient.setQueryData<Pages>(key, (data) =>
            data
              ? {
                  ...data,
                  pages: data.pages.map((page) => ({ ...page, documents: page.documents.map((d) => applyStatusEvent(d, e.data)) })),
                }
              : data,
          );
        });
      })()
        .catch(() => {
          if (!controller.signal.aborted) setFailures((n) => n + 1);
        })
        .finally(() => {
          if (streams.get(id) === controller) streams.delete(id);
          setFollowing(streams.size);
          // settled (or the stream ended early): the list's own answer has the whole document
          if (!controller.signal.aborted) void queryClient.invalidateQueries({ queryKey: key });
        });
    }
    setFollowing(streams.size);
  }, [wanted, keyText, queryClient]);

  useEffect(
    () => () => {
      for (const controller of open.current.values()) controller.abort();
      open.current.clear();
    },
    [],
  );

  return { allFollowed: failures === 0 && following >= unsettled.length };
}
