import { Limits } from '@parley/protocol/client';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion } from '../../hooks/use-store.ts';
import { rememberUser } from '../../lib/client.ts';
import { describeError } from '../../lib/errors.ts';
import { handleOf } from '../../lib/format.ts';
import { AvatarSettings } from '../media/picture-chooser.tsx';
import { ExportSettings } from '../data-export/export-settings.tsx';
import { NotificationSettings } from '../notifications/notification-settings.tsx';
import { DeviceList } from './device-list.tsx';
import { PasswordSettings } from './password-settings.tsx';
import { PrivacySettings } from './privacy-settings.tsx';
import { ThemeSettings } from './theme-settings.tsx';

/** Profile (display name), the settings the server has, and signing out. */
export function SettingsDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const { client, signOut } = useApp();
  useStoreVersion(client, null);
  const me = client.me;
  const [name, setName] = useState(me?.displayName ?? '');
  const [status, setStatus] = useState<{ kind: 'saved' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  useEffect(() => {
    if (open) {
      setName(client.me?.displayName ?? '');
      setStatus(null);
    }
  }, [open, client]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const displayName = name.trim();
    if (!displayName) return;
    setBusy(true);
    setStatus(null);
    try {
      await client.updateProfile({ displayName });
      rememberUser(client);
      setStatus({ kind: 'saved', text: 'Saved.' });
    } catch (error) {
      setStatus({ kind: 'error', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Settings" open={open} onClose={onClose}>
      {me && (
        <div className="profile-summary">
          <Avatar id={me.id} name={me.displayName} size="lg" picture={me.avatarId} />
          <div>
            <strong>{me.displayName}</strong>
            <div className="muted">{handleOf(me) ?? 'No handle'}</div>
          </div>
        </div>
      )}
      <AvatarSettings />
      <form className="stack" onSubmit={save} aria-label="Profile">
        <label htmlFor={inputId}>Display name</label>
        <div className="input-row">
          <input id={inputId} required maxLength={Limits.displayNameMaxLength} value={name} onChange={(event) => (setName(event.target.value), setStatus(null))} />
          <button type="submit" className="button button-primary" disabled={busy || !name.trim() || name.trim() === me?.displayName}>
            Save
          </button>
        </div>
        {status && (
          <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
            {status.text}
          </p>
        )}
      </form>
      <ThemeSettings />
      <PrivacySettings />
      <NotificationSettings />
      <PasswordSettings />
      <DeviceList />
      <ExportSettings />
      <div className="dialog-actions dialog-actions-split">
        <button
          type="button"
          className="button button-danger-outline"
          onClick={() => {
            onClose();
            void signOut();
          }}
        >
          Sign out
        </button>
      </div>
    </Dialog>
  );
}
