import { Limits } from '@parley/protocol/client';
import { type FormEvent, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import '../../components/forms.css';
import './settings.css';

/**
 * Changing the password: the current one is asked for (an unlocked, unattended tab is not
 * enough), the new one twice. Signing the other devices out with it is on by default,
 * because a changed password is usually the answer to a lost or shared device.
 */
export function PasswordSettings() {
  const { client } = useApp();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [signOutOthers, setSignOutOthers] = useState(true);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ kind: 'saved' | 'error'; text: string } | null>(null);
  const ids = { heading: useId(), current: useId(), next: useId(), repeat: useId(), others: useId() };
  const mismatch = repeat !== '' && next !== repeat;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setStatus(null);
    try {
      const signedOut = await client.changePassword(current, next, { signOutOtherDevices: signOutOthers });
      setCurrent('');
      setNext('');
      setRepeat('');
      const others = signedOut === 0 ? '' : signedOut === 1 ? ' 1 other device was signed out.' : ` ${signedOut} other devices were signed out.`;
      setStatus({ kind: 'saved', text: `Password changed.${others}` });
    } catch (error) {
      setStatus({ kind: 'error', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="stack gov-settings" aria-labelledby={ids.heading}>
      <h3 id={ids.heading}>Password</h3>
      <form className="stack" onSubmit={submit} aria-labelledby={ids.heading}>
        <label htmlFor={ids.current}>Current password</label>
        <input id={ids.current} type="password" autoComplete="current-password" required maxLength={Limits.passwordMaxLength} value={current} onChange={(event) => (setCurrent(event.target.value), setStatus(null))} />
        <label htmlFor={ids.next}>New password</label>
        <input id={ids.next} type="password" autoComplete="new-password" required minLength={Limits.passwordMinLength} maxLength={Limits.passwordMaxLength} value={next} onChange={(event) => (setNext(event.target.value), setStatus(null))} />
        <label htmlFor={ids.repeat}>Repeat the new password</label>
        <input id={ids.repeat} type="password" autoComplete="new-password" required aria-invalid={mismatch || undefined} value={repeat} onChange={(event) => (setRepeat(event.target.value), setStatus(null))} />
        {mismatch && <p className="form-error">The two new passwords differ.</p>}
        <label className="gov-radio" htmlFor={ids.others}>
          <input id={ids.others} type="checkbox" checked={signOutOthers} onChange={(event) => setSignOutOthers(event.target.checked)} />
          Sign out of all other devices
        </label>
        <div>
          <button type="submit" className="button button-primary" disabled={busy || !current || next.length < Limits.passwordMinLength || next !== repeat}>
            Change password
          </button>
        </div>
        {status && (
          <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
            {status.text}
          </p>
        )}
      </form>
    </section>
  );
}
