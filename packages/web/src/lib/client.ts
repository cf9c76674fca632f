import { ParleyClient, type User } from '@parley/sdk';
import { loadSession, saveSession, type StoredSession } from './session-storage.ts';
import { tabSafeFetch } from './tab-safe-fetch.ts';

/** A client for this page, and the device session it runs on (the SDK keeps its session to itself). */
export interface PageClient {
  client: ParleyClient;
  /** The device session the client runs on (null when signed out). */
  sessionId(): string | null;
  /** Stores the signed-in user next to the tokens (once the client knows it). */
  rememberUser(): void;
}

/**
 * A client for this page's origin. Its session is kept in localStorage (through
 * `onSession`), so a reload signs back in; refreshes are shared with other tabs.
 */
export function createClient(stored: StoredSession | null): PageClient {
  let sessionId = stored?.sessionId ?? null;
  let user: User | undefined = stored?.user;
  const client: ParleyClient = new ParleyClient({
    baseUrl: location.origin,
    session: stored ? { userId: stored.userId, accessToken: stored.accessToken, refreshToken: stored.refreshToken, sessionId: stored.sessionId } : null,
    onSession: (session) => {
      sessionId = session?.sessionId ?? null;
      if (!session) return saveSession(null);
      // The SDK names the user after this call (login): keep the one we know for the same account.
      const me = client.store.me?.id === session.userId ? client.store.me : user?.id === session.userId ? user : undefined;
      saveSession({ ...session, ...(me ? { user: me } : {}) });
    },
    fetch: tabSafeFetch(() => sessionId),
  });
  // Keep the stored copy of the profile current (other tabs answer refreshes with it).
  client.on('userEvent', (event) => {
    if (event.type === 'profile.updated') rememberUser(client);
  });
  client.store.on('change', () => {
    user = client.store.me ?? user;
  });
  return { client, sessionId: () => sessionId, rememberUser: () => rememberUser(client) };
}

/** Stores the signed-in user next to the tokens once the client knows it. */
export function rememberUser(client: ParleyClient): void {
  const stored = loadSession();
  const me = client.store.me;
  if (stored && me && stored.userId === me.id) saveSession({ ...stored, user: me });
}

/** A short name for this browser, shown in the list of devices. */
export function deviceName(): string {
  const agent = navigator.userAgent;
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrome\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'Browser';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '';
  return `Web · ${browser}${system ? ` on ${system}` : ''}`;
}
