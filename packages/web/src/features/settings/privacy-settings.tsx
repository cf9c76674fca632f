import type { AddPrivacy, PresencePrivacy } from '@parley/protocol';
import { useEffect, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { relayOnlyCalls, setRelayOnlyCalls } from '../calls/call-prefs.ts';
import '../../components/forms.css';
import './settings.css';

/** "Contacts" differ: for adding, people you have written to directly; for presence, anyone you share a direct chat or group with. */
const ADD_AUDIENCE: Array<{ value: AddPrivacy; label: string }> = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'contacts', label: 'People I have written to in a direct chat' },
  { value: 'nobody', label: 'Nobody' },
];
const PRESENCE_AUDIENCE: Array<{ value: PresencePrivacy; label: string }> = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'contacts', label: 'People I share a direct chat or group with' },
  { value: 'nobody', label: 'Nobody' },
];

/** Who may add me to groups and channels, and who sees when I am online. */
export function PrivacySettings() {
  const { client } = useApp();
  const [addPrivacy, setAddPrivacy] = useState<AddPrivacy | null>(null);
  const [presence, setPresence] = useState<PresencePrivacy | null>(null);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const ids = { add: useId(), presence: useId(), hint: useId(), relay: useId() };
  const [relayOnly, setRelayOnly] = useState(relayOnlyCalls);

  useEffect(() => {
    let cancelled = false;
    client.http.settings().then(
      (result) => !cancelled && setAddPrivacy(result.settings.addPrivacy),
      (failure: unknown) => !cancelled && setStatus({ kind: 'error', text: `Could not load privacy settings: ${describeError(failure)}` }),
    );
    client.http.presencePrivacy().then(
      (result) => !cancelled && setPresence(result.privacy),
      () => {},
    );
    const off = client.on('userEvent', (event) => {
      if (event.type !== 'settings.updated') return;
      if (event.data.addPrivacy) setAddPrivacy(event.data.addPrivacy);
      if (event.data.presencePrivacy) setPresence(event.data.presencePrivacy);
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [client]);

  const save = async (what: 'add' | 'presence', value: AddPrivacy) => {
    const before = what === 'add' ? addPrivacy : presence;
    if (what === 'add') setAddPrivacy(value);
    else setPresence(value);
    setStatus(null);
    try {
      if (what === 'add') await client.http.updateSettings({ addPrivacy: value });
      else await client.setPresencePrivacy(value);
      setStatus({ kind: 'ok', text: 'Privacy settings saved.' });
    } catch (failure) {
      if (what === 'add') setAddPrivacy(before);
      else setPresence(before);
      setStatus({ kind: 'error', text: describeError(failure) });
    }
  };

  return (
    <section className="stack gov-settings" aria-labelledby={ids.hint}>
      <h3 id={ids.hint}>Privacy</h3>
      <label htmlFor={ids.add}>Who can add me to groups and channels</label>
      <select id={ids.add} value={addPrivacy ?? ''} disabled={addPrivacy === null} onChange={(event) => void save('add', event.target.value as AddPrivacy)}>
        {addPrivacy === null && <option value="">Loading…</option>}
        {ADD_AUDIENCE.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="field-hint">Invite links work whatever you choose. People you blocked can never add you.</p>
      <label htmlFor={ids.presence}>Who can see when I am online</label>
      <select id={ids.presence} value={presence ?? ''} disabled={presence === null} onChange={(event) => void save('presence', event.target.value as PresencePrivacy)}>
        {presence === null && <option value="">Loading…</option>}
        {PRESENCE_AUDIENCE.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="field-hint">People you blocked never see it; you always see your own.</p>
      <div className="gov-check">
        <input
          id={ids.relay}
          type="checkbox"
          checked={relayOnly}
          onChange={(event) => {
            setRelayOnlyCalls(event.target.checked);
            setRelayOnly(event.target.checked);
          }}
        />
        <label htmlFor={ids.relay}>Always relay calls</label>
      </div>
      <p className="field-hint">Calls go through the server’s relay, so the other side does not see your IP address (in this browser; needs a TURN relay on the server).</p>
      {status && (
        <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
    </section>
  );
}
