import { useRef, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { rememberUser } from '../../lib/client.ts';
import { describeError } from '../../lib/errors.ts';
import { describeUploadError, isAbort } from './upload-errors.ts';
import './media.css';

/** Your picture: choose an image (uploaded, then made your avatar) or remove the one you have. */
export function AvatarSettings() {
  const { client } = useApp();
  const me = client.me;
  const picker = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<{ kind: 'busy' | 'saved' | 'error'; text: string } | null>(null);

  const change = async (file: File | undefined) => {
    if (!file) return;
    setStatus({ kind: 'busy', text: `Uploading ${file.name}… 0%` });
    let uploaded;
    try {
      uploaded = await client.uploadFile(file, { onProgress: (sent, total) => setStatus({ kind: 'busy', text: `Uploading ${file.name}… ${Math.round((sent / (total || file.size || 1)) * 100)}%` }) });
    } catch (error) {
      setStatus(isAbort(error) ? null : { kind: 'error', text: describeUploadError(error, file.name) });
      return;
    }
    if (uploaded.kind !== 'image') {
      setStatus({ kind: 'error', text: `${file.name} is not a picture: choose a JPEG, PNG, GIF or WebP image.` });
      return;
    }
    await save(uploaded.id, 'Picture changed.');
  };

  const save = async (avatarId: string | null, done: string) => {
    setStatus({ kind: 'busy', text: 'Saving…' });
    try {
      // Through updateProfile, which also updates the profile the client holds.
      await client.updateProfile({ avatarId });
      rememberUser(client);
      setStatus({ kind: 'saved', text: done });
    } catch (error) {
      setStatus({ kind: 'error', text: describeError(error) });
    }
  };

  const busy = status?.kind === 'busy';
  return (
    <section className="stack avatar-settings" aria-label="Picture">
      <div className="input-row">
        <button type="button" className="button" disabled={busy} onClick={() => picker.current?.click()}>
          {me?.avatarId ? 'Change picture' : 'Add a picture'}
        </button>
        {me?.avatarId && (
          <button type="button" className="button" disabled={busy} onClick={() => void save(null, 'Picture removed.')}>
            Remove picture
          </button>
        )}
        <input
          ref={picker}
          type="file"
          accept="image/jpeg,image/png,image/gif,image/webp"
          hidden
          tabIndex={-1}
          onChange={(event) => {
            void change(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
      </div>
      {status && (
        <p className={status.kind === 'error' ? 'form-error' : status.kind === 'saved' ? 'form-ok' : 'muted'} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
    </section>
  );
}
