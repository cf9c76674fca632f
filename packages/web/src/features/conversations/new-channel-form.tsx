import { Limits } from '@parley/protocol/client';
import { type FormEvent, useId, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { cleanHandle } from '../../lib/lookup.ts';
import '../../components/forms.css';
import './conversations.css';

/** The "Channel" choice of the new-chat dialog: title, an optional public handle (with approval), a description. */
export function NewChannelForm({ onCreated }: { onCreated(conversationId: string): void }) {
  const { client } = useApp();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [handle, setHandle] = useState('');
  const [description, setDescription] = useState('');
  const [approval, setApproval] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), handle: useId(), description: useId(), hint: useId(), form: useId(), approval: useId() };
  const isPublic = cleanHandle(handle) !== '';

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setError('Give the channel a title.');
    setBusy(true);
    setError(null);
    try {
      const h = cleanHandle(handle);
      const conversation = await client.createChannel(title.trim(), { ...(h ? { handle: h } : {}), ...(description.trim() ? { description: description.trim() } : {}) });
      if (h && approval) {
        // Approval only matters for handle joins (invite links carry their own).
        await client.http.updateConversation(conversation.id, { settings: { joinApproval: true } }).catch((failure: unknown) => {
          notify(`The channel was created, but approving subscribers could not be switched on: ${describeError(failure)}`);
        });
      }
      onCreated(conversation.id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <section className="gov-section" aria-label="Channel">
      <button type="button" className="button gov-disclosure" aria-expanded={open} aria-controls={ids.form} onClick={() => setOpen((value) => !value)}>
        Channel
        <span className="muted"> — broadcast to subscribers</span>
      </button>
      {open && (
        <form id={ids.form} className="stack" onSubmit={create} aria-label="Create a channel">
          <label htmlFor={ids.title}>Channel title</label>
          <input id={ids.title} autoFocus required maxLength={Limits.titleMaxLength} value={title} onChange={(event) => (setTitle(event.target.value), setError(null))} />
          <label htmlFor={ids.handle}>Public handle (optional)</label>
          <input id={ids.handle} autoCapitalize="none" spellCheck={false} placeholder="@handle" aria-describedby={ids.hint} value={handle} onChange={(event) => (setHandle(event.target.value), setError(null))} />
          <p id={ids.hint} className="field-hint">
            With a handle the channel is public: anyone can find it and subscribe. Without one it is private (invite links).
          </p>
          {isPublic && (
            <div className="gov-check">
              <input id={ids.approval} type="checkbox" checked={approval} onChange={(event) => setApproval(event.target.checked)} />
              <label htmlFor={ids.approval}>Admins approve each subscriber who joins by handle</label>
            </div>
          )}
          <label htmlFor={ids.description}>Description (optional)</label>
          <textarea id={ids.description} rows={2} maxLength={1000} value={description} onChange={(event) => setDescription(event.target.value)} />
          <FormError error={error} />
          <div className="dialog-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Create channel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
