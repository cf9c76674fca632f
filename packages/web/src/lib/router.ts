/** The app's few places, kept in the URL so reloads and the back button work. */
export type Route = { name: 'home' } | { name: 'conversation'; id: string } | { name: 'join'; code: string };

export function parseRoute(pathname: string): Route {
  const join = /^\/join\/([^/]+)\/?$/u.exec(pathname);
  if (join) {
    try {
      return { name: 'join', code: decodeURIComponent(join[1]!) };
    } catch {
      return { name: 'home' };
    }
  }
  const match = /^\/c\/([^/]+)\/?$/u.exec(pathname);
  if (match) {
    try {
      return { name: 'conversation', id: decodeURIComponent(match[1]!) };
    } catch {
      return { name: 'home' };
    }
  }
  return { name: 'home' };
}

export function conversationPath(id: string): string {
  return `/c/${encodeURIComponent(id)}`;
}

export function joinPath(code: string): string {
  return `/join/${encodeURIComponent(code)}`;
}

/**
 * `pushState` and `replaceState` fire no event: `navigate` announces its own changes with
 * this one, so the URL stays the only place the route lives.
 */
const NAVIGATED = 'parley:navigated';

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === location.pathname) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** Calls back when the URL's path may have changed (`navigate`, back and forward). */
export function subscribeRoute(listener: () => void): () => void {
  window.addEventListener(NAVIGATED, listener);
  window.addEventListener('popstate', listener);
  return () => {
    window.removeEventListener(NAVIGATED, listener);
    window.removeEventListener('popstate', listener);
  };
}
