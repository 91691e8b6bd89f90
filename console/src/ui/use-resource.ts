import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';

/** GETs `path` (again when it changes or on reload()); undefined path = nothing to load yet. */
export function useResource<T>(path: string | undefined) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!path) return;
    let current = true;
    setLoading(true);
    setError(undefined);
    api<T>('GET', path).then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, reload };
}
