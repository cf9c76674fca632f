import { Limits } from '@parley/protocol/client';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';

/** A group's or channel's title, for those who may change it. */
export function RenameForm({ conversationId, current }: { conversationId: string; current: string }) {
  const { client } = useApp();
  const notify = useNotify();
  const [title, setTitle] = useState(current);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  useEffect(() => setTitle(current), [current]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const next = title.trim();
    if (!next || next === current) return;
    setBusy(true);
    try {
      await client.http.updateConversation(conversationId, { title: next });
    } catch (error) {
      notify(`Could not rename: ${describeError(error)}`);
      setTitle(current);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={save} aria-label="Rename">
      <label htmlFor={inputId}>Title</label>
      <div className="input-row">
        <input id={inputId} required maxLength={Limits.titleMaxLength} value={title} onChange={(event) => setTitle(event.target.value)} />
        <button type="submit" className="button" disabled={busy || title.trim() === '' || title.trim() === current}>
          Rename
        </button>
      </div>
    </form>
  );
}
