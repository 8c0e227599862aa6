import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, type Pagination } from './api';

export interface Loaded<T> {
  data: T | undefined;
  pagination?: Pagination;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and again whenever it changes; the last answer wins. */
export function useGet<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; pagination?: Pagination; error?: ApiError; loading: boolean }>({ loading: !!path });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    if (!path) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    get<T>(path).then(
      (r) => mine === seq.current && setState({ data: r.data, pagination: r.pagination, loading: false }),
      (e: ApiError) => mine === seq.current && setState({ error: e, loading: false }),
    );
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, loading: state.loading, reload } as Loaded<T>;
}

/** Runs an action (a POST, a retry) with its own busy flag, error and result. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [result, setResult] = useState<R>();
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await fn(...args);
      setResult(() => r);
      return r;
    } catch (e) {
      setError(e as ApiError);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, result, setResult, setError };
}

/** `value` after it stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
