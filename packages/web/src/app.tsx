import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ToastProvider } from './components/toasts.tsx';
import { clearDrafts, DraftsProvider } from './features/messages/drafts.tsx';
import { PresenceFollowsProvider } from './features/presence/presence-follows.tsx';
import { AppContext, type AppContextValue } from './hooks/context.ts';
import type { PageClient } from './lib/client.ts';
import type { StoredSession } from './lib/session-storage.ts';
import { describeError } from './lib/errors.ts';
import { loadSession, onStoredSessionChange } from './lib/session-storage.ts';
import { disableWebPush } from './features/notifications/web-push.ts';
import { UserDirectory } from './lib/users.ts';

// Split by route: the first load carries the shell; signing in and the chat come as their own chunks.
const ChatApp = lazy(() => import('./chat-app.tsx').then((module) => ({ default: module.ChatApp })));
const AuthScreen = lazy(() => import('./features/account/auth-screen.tsx').then((module) => ({ default: module.AuthScreen })));

function Splash({ text, children }: { text: string; children?: React.ReactNode }) {
  return (
    <div className="splash" role="status" aria-live="polite">
      <div className="brand-mark" aria-hidden="true">
        P
      </div>
      <p>{text}</p>
      {children}
    </div>
  );
}

/** The SDK comes with its own chunk too: a stored session waits for it in `restoring`. */
const loadClientModule = () => import('./lib/client.ts');

type State =
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'restoring'; stored: StoredSession }
  | { kind: 'starting'; page: PageClient; error: string | null }
  | { kind: 'ready'; page: PageClient; users: UserDirectory };

function initialState(): State {
  const stored = loadSession();
  return stored ? { kind: 'restoring', stored } : { kind: 'signed-out', notice: null };
}

/** Signed out, starting (a stored session, or one just made), or signed in with a live client. */
export function App() {
  const [state, setState] = useState<State>(initialState);
  const current = useRef(state);
  current.current = state;

  const signedOut = useCallback((notice: string | null) => {
    const now = current.current;
    if (now.kind === 'starting' || now.kind === 'ready') now.page.client.stop();
    setState({ kind: 'signed-out', notice });
  }, []);

  // A stored session: load the SDK, then start a client on it.
  const restoring = state.kind === 'restoring' ? state.stored : null;
  useEffect(() => {
    if (!restoring) return;
    let cancelled = false;
    loadClientModule().then(
      ({ createClient }) => {
        if (!cancelled) setState({ kind: 'starting', page: createClient(restoring), error: null });
      },
      // The chunk could not be fetched (offline, or a new version was deployed): a reload fetches it again.
      () => !cancelled && setState({ kind: 'signed-out', notice: 'Parley could not load. Check your connection and reload the page.' }),
    );
    return () => {
      cancelled = true;
    };
  }, [restoring]);

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
          starting.rememberUser();
          setState({ kind: 'ready', page: starting, users: new UserDirectory(client) });
        },
        (error: unknown) => {
          if (cancelled) return;
          // A ParleyError that retrying cannot help (the SDK's class is not imported here: it stays in its chunk).
          if ((error as { retryable?: unknown } | null)?.retryable === false) {
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
        const mine = now.kind === 'starting' || now.kind === 'ready' ? now.page : null;
        if (mine && mine.sessionId() === stored.sessionId) return;
        if (now.kind === 'restoring' && now.stored.sessionId === stored.sessionId) return;
        if (mine) mine.client.stop();
        setState({ kind: 'restoring', stored });
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
        if (ready.me) clearDrafts(ready.me.id);
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
      {state.kind === 'signed-out' && (
        <Suspense fallback={<Splash text="Loading…" />}>
          <AuthScreen notice={state.notice} onSignedIn={(signedIn) => setState({ kind: 'starting', page: signedIn, error: null })} />
        </Suspense>
      )}
      {state.kind === 'restoring' && <Splash text="Loading your conversations…" />}
      {state.kind === 'starting' && (
        <Splash text={state.error ? `${state.error} Retrying…` : 'Loading your conversations…'}>
          {state.error && (
            <button type="button" className="button" onClick={() => signedOut(null)}>
              Sign in with another account
            </button>
          )}
        </Splash>
      )}
      {context && (
        <AppContext.Provider value={context}>
          <PresenceFollowsProvider>
            <DraftsProvider key={context.client.me?.id ?? ''} userId={context.client.me?.id ?? ''}>
              <Suspense fallback={<Splash text="Loading your conversations…" />}>
                <ChatApp />
              </Suspense>
            </DraftsProvider>
          </PresenceFollowsProvider>
        </AppContext.Provider>
      )}
    </ToastProvider>
  );
}

