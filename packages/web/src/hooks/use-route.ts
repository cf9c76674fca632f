import { useMemo, useSyncExternalStore } from 'react';
import { parseRoute, type Route, subscribeRoute } from '../lib/router.ts';

/** The route of the current URL. The snapshot is the path (a string, compared by value), parsed once per change. */
export function useRoute(): Route {
  const path = useSyncExternalStore(subscribeRoute, () => location.pathname);
  return useMemo(() => parseRoute(path), [path]);
}
