import { Limits } from '@parley/protocol/client';
import { type FormEvent, useId, useState } from 'react';
import { createClient, deviceName, type PageClient, rememberUser } from '../../lib/client.ts';
import { describeError } from '../../lib/errors.ts';

type Mode = 'sign-in' | 'sign-up';

/** Built-in accounts: create one, or sign in to one. */
export function AuthScreen({ notice, onSignedIn }: { notice: string | null; onSignedIn(page: PageClient): void }) {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { handle: useId(), password: useId(), name: useId(), hint: useId(), error: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const page = createClient(null);
    const { client } = page;
    try {
      const device = deviceName();
      if (mode === 'sign-up') {
        await client.register({ handle: handle.trim(), password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}), deviceName: device });
      } else {
        await client.login({ handle: handle.trim(), password, deviceName: device });
      }
      rememberUser(client);
      onSignedIn(page);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  const signUp = mode === 'sign-up';
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <div className="brand-mark" aria-hidden="true">
            P
          </div>
          <h1>Parley</h1>
        </div>
        <p className="auth-lead">{signUp ? 'Create an account to start chatting.' : 'Sign in to your conversations.'}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <div className="segmented" role="group" aria-label="Account">
          <button type="button" aria-pressed={!signUp} className={!signUp ? 'active' : ''} onClick={() => (setMode('sign-in'), setError(null))}>
            Sign in
          </button>
          <button type="button" aria-pressed={signUp} className={signUp ? 'active' : ''} onClick={() => (setMode('sign-up'), setError(null))}>
            Create account
          </button>
        </div>
        <form onSubmit={submit} aria-label={signUp ? 'Create account' : 'Sign in'} aria-describedby={error ? ids.error : undefined}>
          <label htmlFor={ids.handle}>Handle</label>
          <input
            id={ids.handle}
            name="handle"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            minLength={signUp ? Limits.handleMinLength : 1}
            maxLength={Limits.handleMaxLength}
            pattern={signUp ? '[A-Za-z][A-Za-z0-9_.]*' : undefined}
            aria-describedby={signUp ? ids.hint : undefined}
            value={handle}
            onChange={(event) => setHandle(event.target.value)}
          />
          {signUp && (
            <p id={ids.hint} className="field-hint">
              {Limits.handleMinLength}–{Limits.handleMaxLength} characters: letters, digits, “_” and “.”, starting with a letter. People find you by it.
            </p>
          )}
          {signUp && (
            <>
              <label htmlFor={ids.name}>Display name</label>
              <input id={ids.name} name="displayName" autoComplete="name" maxLength={Limits.displayNameMaxLength} placeholder="Optional" value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
            </>
          )}
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            name="password"
            type="password"
            autoComplete={signUp ? 'new-password' : 'current-password'}
            required
            minLength={signUp ? Limits.passwordMinLength : 1}
            maxLength={Limits.passwordMaxLength}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          {signUp && <p className="field-hint">At least {Limits.passwordMinLength} characters.</p>}
          {error && (
            <p id={ids.error} className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Please wait…' : signUp ? 'Create account' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
