import { useRef, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { rememberUser } from '../../lib/client.ts';
import { describeError } from '../../lib/errors.ts';
import { describeUploadError, isAbort } from './upload-errors.ts';
import './media.css';

interface PictureChooserProps {
  /** What the picture is, in the buttons and the section's name: "picture", "photo". */
  noun: string;
  /** The file shown now, if any. */
  current: string | null | undefined;
  /** Makes the uploaded image (or none) the picture. */
  save(fileId: string | null): Promise<void>;
}

/** Choose an image (uploaded, then made the picture) or remove the one there is: your avatar, a group's photo. */
export function PictureChooser({ noun, current, save }: PictureChooserProps) {
  const { client } = useApp();
  const picker = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<{ kind: 'busy' | 'saved' | 'error'; text: string } | null>(null);
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);

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
    await apply(uploaded.id, `${Noun} changed.`);
  };

  const apply = async (fileId: string | null, done: string) => {
    setStatus({ kind: 'busy', text: 'Saving…' });
    try {
      await save(fileId);
      setStatus({ kind: 'saved', text: done });
    } catch (error) {
      setStatus({ kind: 'error', text: describeError(error) });
    }
  };

  const busy = status?.kind === 'busy';
  return (
    <section className="stack avatar-settings" aria-label={Noun}>
      <div className="input-row">
        <button type="button" className="button" disabled={busy} onClick={() => picker.current?.click()}>
          {current ? `Change ${noun}` : `Add a ${noun}`}
        </button>
        {current && (
          <button type="button" className="button" disabled={busy} onClick={() => void apply(null, `${Noun} removed.`)}>
            Remove {noun}
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

/** Your picture, in Settings. */
export function AvatarSettings() {
  const { client } = useApp();
  return (
    <PictureChooser
      noun="picture"
      current={client.me?.avatarId}
      save={async (avatarId) => {
        // Through updateProfile, which also updates the profile the client holds.
        await client.updateProfile({ avatarId });
        rememberUser(client);
      }}
    />
  );
}

/** A group's or channel's photo, in its details, for those who may edit its info. */
export function ConversationPhotoSettings({ conversationId, current }: { conversationId: string; current: string | null | undefined }) {
  const { client } = useApp();
  return <PictureChooser noun="photo" current={current} save={async (photoId) => void (await client.setConversationPhoto(conversationId, photoId))} />;
}
