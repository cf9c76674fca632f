import { ParleyError } from '@parley/sdk';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ChatApp } from './chat-app.tsx';
import { ToastProvider } from './components/toasts.tsx';
import { AuthScreen } from './features/account/auth-screen.tsx';
import { DraftsProvider } from './features/messages/drafts.tsx';
import { PresenceFollowsProvider } from './features/presence/presence-follows.tsx';
import { AppContext, type AppContextValue } from './hooks/context.ts';
import { createClient, type PageClient, rememberUser } from './lib/client.ts';
import { describeError } from './lib/errors.ts';
import { loadSession, onStoredSessionChange } from './lib/session-storage.ts';
import { disableWebPush } from './features/notifications/web-push.ts';
import { UserDirectory } from './lib/users.ts';

type State =
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'starting'; page: PageClient; error: string | null }
  | { kind: 'ready'; page: PageClient; users: UserDirectory };

function initialState(): State {
  const stored = loadSession();
  return stored ? { kind: 'starting', page: createClient(stored), error: null } : { kind: 'signed-out', notice: null };
}

/** Signed out, starting (a stored session, or one just made), or signed in with a live client. */
export function App() {
  const [state, setState] = useState<State>(initialState);
  const current = useRef(state);
  current.current = state;

  const signedOut = useCallback((notice: string | null) => {
    const now = current.current;
    if (now.kind !== 'signed-out') now.page.client.stop();
    setState({ kind: 'signed-out', notice });
  }, []);

  // Start a client: load the conversation list, then connect. Unreachable server: retry.
  const starting = state.kind === 'starting' ? state.page : null;
  useEffect(() => {
    if (!starting) return;
    const { client } = starting;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (delay: number) => {
      client.start().then(
        () => {
          if (cancelled) return;
          rememberUser(client);
          setState({ kind: 'ready', page: starting, users: new UserDirectory(client) });
        },
        (error: unknown) => {
          if (cancelled) return;
          if (error instanceof ParleyError && !error.retryable) {
            signedOut(client.signedIn ? describeError(error) : 'Your session has ended. Please sign in again.');
            return;
          }
          setState({ kind: 'starting', page: starting, error: describeError(error) });
          timer = setTimeout(() => attempt(Math.min(delay * 2, 15_000)), delay);
        },
      );
    };
    attempt(1_000);
    const online = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      attempt(1_000);
    };
    window.addEventListener('online', online);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      window.removeEventListener('online', online);
    };
  }, [starting, signedOut]);

  // The server ended this session for good (signed out elsewhere, revoked, suspended).
  const running = state.kind === 'ready' ? state.page.client : null;
  useEffect(() => {
    if (!running) return;
    return running.on('stopped', () => signedOut('You were signed out. Please sign in again.'));
  }, [running, signedOut]);

  // Other tabs: signing out there signs out here; signing in there (as someone else) is adopted here.
  useEffect(
    () =>
      onStoredSessionChange((stored) => {
        const now = current.current;
        if (!stored) {
          if (now.kind !== 'signed-out') signedOut('You signed out in another tab.');
          return;
        }
        const mine = now.kind === 'signed-out' ? null : now.page;
        if (mine && mine.sessionId() === stored.sessionId) return;
        if (mine) mine.client.stop();
        setState({ kind: 'starting', page: createClient(stored), error: null });
      }),
    [signedOut],
  );

  const context = useMemo<AppContextValue | null>(() => {
    if (state.kind !== 'ready') return null;
    const { page, users } = state;
    const ready = page.client;
    return {
      client: ready,
      sessionId: page.sessionId,
      users,
      signOut: async () => {
        // This browser stops getting pushes for the account (the server also forgets the subscription with the session).
        await disableWebPush(null).catch(() => {});
        try {
          await ready.logout();
        } catch {
          // Signed out locally either way; the server session ends when its tokens expire.
        }
        signedOut(null);
      },
    };
  }, [state, signedOut]);

  return (
    <ToastProvider>
      {state.kind === 'signed-out' && <AuthScreen notice={state.notice} onSignedIn={(signedIn) => setState({ kind: 'starting', page: signedIn, error: null })} />}
      {state.kind === 'starting' && (
        <div className="splash" role="status" aria-live="polite">
          <div className="brand-mark" aria-hidden="true">
            P
          </div>
          <p>{state.error ? `${state.error} Retrying…` : 'Loading your conversations…'}</p>
          {state.error && (
            <button type="button" className="button" onClick={() => signedOut(null)}>
              Sign in with another account
            </button>
          )}
        </div>
      )}
      {context && (
        <AppContext.Provider value={context}>
          <PresenceFollowsProvider>
            <DraftsProvider>
              <ChatApp />
            </DraftsProvider>
          </PresenceFollowsProvider>
        </AppContext.Provider>
      )}
    </ToastProvider>
  );
}

