import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type Page, query } from '../../api.ts';
import type { ConversationItem, Filters } from './types.ts';

/** Conversations per list page: a 10,000-conversation inbox loads one page at a time. */
export const PAGE_SIZE = 50;

export type ConversationList = {
  items: ConversationItem[] | undefined;
  total: number;
  error: unknown;
  reload: () => void;
};

/** One page of the agent's conversations, newest activity first; reload() re-reads it (live updates). */
export function useConversations(
  agentPath: string | undefined,
  filters: Filters,
  page: number,
): ConversationList {
  const [items, setItems] = useState<ConversationItem[] | undefined>(undefined);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>();
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (!agentPath) return;
    const request = ++latest.current;
    const path = `${agentPath}/conversations${query({ ...filters, page, limit: PAGE_SIZE })}`;
    api<Page<ConversationItem>>('GET', path).then(
      (result) => {
        // An older answer arriving after a newer request is dropped.
        if (request !== latest.current) return;
        setItems(result.data);
        setTotal(result.pagination.total);
        setError(undefined);
      },
      (err) => request === latest.current && setError(err),
    );
  }, [agentPath, filters.channel, filters.status, filters.handoff, page, generation]);

  useEffect(() => setItems(undefined), [agentPath]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { items, total, error, reload };
}

/** A function that runs `fn` once, `ms` after the last of a burst of calls. */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const current = useRef(fn);
  current.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => current.current(), ms);
  }, [ms]);
}
