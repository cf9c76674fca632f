import { useSyncExternalStore } from 'react';
import { parseRoute, type Route, subscribeRoute } from '../lib/router.ts';

let cached: { path: string; route: Route } | null = null;

function snapshot(): Route {
  if (!cached || cached.path !== location.pathname) cached = { path: location.pathname, route: parseRoute(location.pathname) };
  return cached.route;
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribeRoute, snapshot);
}
