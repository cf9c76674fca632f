import type { Session, User } from '@parley/sdk';

/** What is kept in localStorage: the SDK session, plus the user it belongs to (for other tabs). */
export type StoredSession = Session & { user?: User };

const KEY = 'parley.session';

export function loadSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof value.userId !== 'string' || typeof value.accessToken !== 'string' || typeof value.refreshToken !== 'string' || typeof value.sessionId !== 'string') return null;
    return value as StoredSession;
  } catch {
    return null;
  }
}

export function saveSession(session: StoredSession | null): void {
  try {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode or storage full: the session lasts as long as the page.
  }
}

/** Calls back when another tab signs in, out, or refreshes the tokens. */
export function onStoredSessionChange(listener: (session: StoredSession | null) => void): () => void {
  const handler = (event: StorageEvent) => {
    if (event.key === KEY || event.key === null) listener(loadSession());
  };
  window.addEventListener('storage', handler);
  return () => window.removeEventListener('storage', handler);
}
