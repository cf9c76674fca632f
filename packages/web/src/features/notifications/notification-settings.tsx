import type { PushSettings } from '@parley/protocol';
import { useEffect, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { type DevicePrefs, pushSupported, readPrefs, writePrefs } from './notification-prefs.ts';
import { disableWebPush, enableWebPush } from './web-push.ts';
import '../../components/forms.css';
import '../settings/settings.css';

/**
 * Notifications: on this device (desktop notifications in the background and Web Push while
 * the app is closed, with a sound option) and for the account (previews on lock screens).
 */
export function NotificationSettings() {
  const { client } = useApp();
  const [prefs, setPrefs] = useState<DevicePrefs>(readPrefs);
  const [account, setAccount] = useState<PushSettings | null>(null);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { heading: useId(), desktop: useId(), sound: useId(), previews: useId() };

  useEffect(() => {
    let cancelled = false;
    client.pushSettings().then((settings) => !cancelled && setAccount(settings), () => {});
    const off = client.on('userEvent', (event) => {
      if (event.type === 'push_settings.updated') setAccount(event.data);
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [client]);

  const setDesktop = async (on: boolean) => {
    setBusy(true);
    setStatus(null);
    try {
      if (on) {
        const subscribed = await enableWebPush(client);
        if (!subscribed && Notification.permission !== 'granted') {
          setStatus({ kind: 'error', text: 'Notifications are blocked for this site in your browser.' });
          return;
        }
      } else await disableWebPush(client);
      const next = { ...prefs, desktop: on };
      writePrefs(next);
      setPrefs(next);
      setStatus({ kind: 'ok', text: on ? 'Notifications are on for this browser.' : 'Notifications are off for this browser.' });
    } catch (failure) {
      setStatus({ kind: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
    }
  };

  const setPreviews = async (previews: boolean) => {
    setStatus(null);
    try {
      setAccount(await client.setPushSettings({ previews }));
    } catch (failure) {
      setStatus({ kind: 'error', text: describeError(failure) });
    }
  };

  return (
    <section className="stack gov-settings" aria-labelledby={ids.heading}>
      <h3 id={ids.heading}>Notifications</h3>
      <div className="gov-check">
        <input id={ids.desktop} type="checkbox" checked={prefs.desktop} disabled={busy || !pushSupported()} onChange={(event) => void setDesktop(event.target.checked)} />
        <label htmlFor={ids.desktop}>Notify me on this browser</label>
      </div>
      {!pushSupported() && <p className="field-hint">This browser cannot show notifications.</p>}
      <div className="gov-check">
        <input
          id={ids.sound}
          type="checkbox"
          checked={prefs.sound}
          disabled={!prefs.desktop}
          onChange={(event) => {
            const next = { ...prefs, sound: event.target.checked };
            writePrefs(next);
            setPrefs(next);
          }}
        />
        <label htmlFor={ids.sound}>Play a sound</label>
      </div>
      <div className="gov-check">
        <input id={ids.previews} type="checkbox" checked={account?.previews ?? true} disabled={account === null} onChange={(event) => void setPreviews(event.target.checked)} />
        <label htmlFor={ids.previews}>Show who wrote and what (on every device)</label>
      </div>
      {status && (
        <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
    </section>
  );
}
