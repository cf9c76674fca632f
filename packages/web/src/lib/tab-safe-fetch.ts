import { Routes } from '@parley/protocol/client';
import type { AuthResponse } from '@parley/sdk';
import { loadSession, saveSession } from './session-storage.ts';

/**
 * A `fetch` for the SDK that lets several tabs share one stored session.
 *
 * Refresh tokens rotate, and presenting a rotated one after the server's grace period
 * revokes the session (it looks stolen). Tabs of one browser share the session through
 * localStorage, but a running ParleyClient cannot adopt tokens another tab refreshed
 * (the SDK has no public way to set a session), so each tab would rotate the token
 * under the others. This wraps only the refresh operation (`POST /v1/auth/refresh`):
 *
 * - refreshes run one at a time across tabs (Web Locks, where available);
 * - when the stored session is ours but already carries a newer refresh token, another
 *   tab refreshed first: its tokens are handed to the SDK as the answer, without
 *   asking the server;
 * - a real answer is written to storage before the lock is released, so the next tab
 *   sees it.
 */
export function tabSafeFetch(currentSessionId: () => string | null): typeof fetch {
  const base: typeof fetch = globalThis.fetch.bind(globalThis);
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (url.pathname !== Routes.refresh.path || (init?.method ?? 'GET').toUpperCase() !== Routes.refresh.method || typeof init?.body !== 'string') return base(input, init);
    const presented = (JSON.parse(init.body) as { refreshToken?: string }).refreshToken;
    const run = async (): Promise<Response> => {
      const stored = loadSession();
      if (stored && stored.user && stored.sessionId === currentSessionId() && stored.refreshToken !== presented) {
        const answer: AuthResponse = { user: stored.user, accessToken: stored.accessToken, refreshToken: stored.refreshToken, sessionId: stored.sessionId, expiresIn: 0 };
        return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const response = await base(input, init);
      const text = await response.text();
      if (response.ok) {
        const answer = JSON.parse(text) as AuthResponse;
        saveSession({ userId: answer.user.id, accessToken: answer.accessToken, refreshToken: answer.refreshToken, sessionId: answer.sessionId, user: answer.user });
      }
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    return locks ? locks.request('parley.refresh', run) : run();
  };
}
