import type { Message } from '@parley/protocol';
import { messagePreview } from '../../lib/markdown.ts';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { CloseIcon } from '../../components/dialog.tsx';
import { AttachIcon, SendIcon } from '../../components/icons.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { AttachmentChips } from '../media/attachment-chips.tsx';
import { previewWithFiles } from '../media/files-label.ts';
import { useUploads } from '../media/use-uploads.ts';
import { VoiceRecorder } from '../media/voice-recorder.tsx';
import { useDrafts } from './drafts.tsx';
import { MentionSuggestions } from '../mentions/mention-suggestions.tsx';
import { useMentionAutocomplete } from '../mentions/use-mention-autocomplete.ts';
import { ComposerEmojiButton } from '../emoji/composer-emoji-button.tsx';

/**
 * The server's default MAX_MESSAGE_LENGTH. The SDK does not expose the limit the
 * server announces in its `ready` frame, so a longer text is refused by the server
 * (and shown as not sent) on servers configured higher or lower.
 */
const SOFT_LIMIT = 4000;
const MAX_LINES_PX = 200;

export interface ComposerProps {
  conversationId: string;
  replyTo: Message | null;
  editing: Message | null;
  onCancel(): void;
  onEditLast(): void;
  placeholder: string;
  /** May send files and voice notes here (`send_media`); without it, no attach or record buttons, and drops and pastes of files are ignored. */
  mediaAllowed: boolean;
}

/** Enter sends, Shift+Enter starts a new line; Escape cancels a reply or an edit; ↑ in an empty box edits your last message. */
export function Composer({ conversationId, replyTo, editing, onCancel, onEditLast, placeholder, mediaAllowed }: ComposerProps) {
  const { client, users } = useApp();
  const notify = useNotify();
  const drafts = useDrafts();
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const input = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const draftBeforeEdit = useRef<string | null>(null);
  const uploads = useUploads(conversationId);
  const picker = useRef<HTMLInputElement>(null);
  const [dropping, setDropping] = useState(false);
  const mention = useMentionAutocomplete(conversationId, input, (value) => change(value));

  const attach = (files: Array<File | { blob: Blob; name: string }>, options: { kind?: 'voice' } = {}) => {
    if (editing || !mediaAllowed || files.length === 0) return;
    const refused = uploads.add(files, options);
    if (refused) notify(`A message can carry at most 10 files: ${refused === 1 ? 'one was' : `${refused} were`} left out.`);
  };

  // Editing: the message's text goes into the box; cancelling brings the draft back.
  // Runs only when the mode changes (text is read, not watched).
  useEffect(() => {
    if (editing) {
      draftBeforeEdit.current ??= text;
      setText(editing.text ?? '');
    } else if (draftBeforeEdit.current !== null) {
      setText(draftBeforeEdit.current);
      draftBeforeEdit.current = null;
    }
    if (editing || replyTo) input.current?.focus();
  }, [editing, replyTo]);

  useEffect(() => {
    // On devices with a keyboard, typing can start as soon as a conversation opens.
    if (window.matchMedia('(pointer: fine)').matches) input.current?.focus({ preventScroll: true });
  }, [conversationId]);

  useLayoutEffect(() => {
    const box = input.current;
    if (!box) return;
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight, MAX_LINES_PX)}px`;
  }, [text]);

  const change = (value: string) => {
    setText(value);
    if (!editing) drafts.set(conversationId, value);
    if (editing) return;
    // The SDK throttles renewals; an emptied box stops the indicator at once.
    if (value) client.notifyTyping(conversationId);
    else client.stopTyping(conversationId);
  };

  const submit = () => {
    const body = text.trim();
    const files = editing ? [] : uploads.ready;
    if (!body && files.length === 0) return;
    if (uploads.busy && !editing) {
      notify('Wait for the files to finish uploading, or remove them.');
      return;
    }
    if (body.length > SOFT_LIMIT) {
      notify(`Messages can be at most ${SOFT_LIMIT} characters.`);
      return;
    }
    if (editing) {
      if (body !== editing.text) client.editMessage(conversationId, editing.id, body).catch((error: unknown) => notify(`Could not edit: ${describeError(error)}`));
      onCancel();
      return;
    }
    // Shown at once as pending; the SDK retries until the server has it (or shows it as not sent).
    client.sendMessage(conversationId, body, { ...(replyTo ? { replyTo: replyTo.id } : {}), ...(files.length ? { attachments: files } : {}) }).catch(() => {});
    client.stopTyping(conversationId);
    drafts.delete(conversationId);
    setText('');
    uploads.clear();
    onCancel();
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention.onKeyDown(event)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && (editing || replyTo)) {
      event.preventDefault();
      onCancel();
    } else if (event.key === 'ArrowUp' && text === '' && !editing) {
      event.preventDefault();
      onEditLast();
    }
  };

  const context = editing ? { label: 'Editing message', text: editing.text ?? '' } : replyTo ? { label: `Replying to ${replyTo.senderId === client.me?.id ? 'yourself' : users.name(replyTo.senderId)}`, text: replyTo.text === null ? 'Message deleted' : previewWithFiles(replyTo.text, replyTo.attachments) } : null;
  const remaining = SOFT_LIMIT - text.trim().length;
  const hasFiles = !editing && uploads.ready.length > 0;
  const canSubmit = (text.trim() !== '' || hasFiles) && remaining >= 0 && (editing !== null || !uploads.busy);
  const withFiles = (transfer: DataTransfer | null) => !editing && mediaAllowed && !!transfer && Array.from(transfer.types).includes('Files');
  return (
    <form
      className={`composer${dropping ? ' composer-dropping' : ''}`}
      aria-label="Send a message"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      onDragOver={(event) => {
        if (!withFiles(event.dataTransfer)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDropping(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
      }}
      onDrop={(event) => {
        setDropping(false);
        if (!withFiles(event.dataTransfer)) return;
        event.preventDefault();
        attach(Array.from(event.dataTransfer.files));
      }}
    >
      {context && (
        <div className="composer-context">
          <div className="composer-context-text">
            <strong>{context.label}</strong>
            <span>{messagePreview(context.text, 100)}</span>
          </div>
          <button type="button" className="icon-button" aria-label={editing ? 'Cancel editing' : 'Cancel reply'} onClick={onCancel}>
            <CloseIcon />
          </button>
        </div>
      )}
      {!editing && <AttachmentChips items={uploads.items} onRemove={uploads.remove} />}
      <MentionSuggestions mention={mention} />
      <div className="composer-row">
        {!editing && mediaAllowed && (
          <>
            <button type="button" className="icon-button composer-attach" aria-label="Attach files" onClick={() => picker.current?.click()}>
              <AttachIcon />
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              onChange={(event) => {
                attach(Array.from(event.target.files ?? []));
                // The same file can be chosen again after being removed.
                event.target.value = '';
              }}
            />
          </>
        )}
        <ComposerEmojiButton input={input} onInsert={change} />
        <textarea
          ref={input}
          className="composer-input"
          rows={1}
          value={text}
          placeholder={placeholder}
          aria-label={editing ? 'Edit message' : 'Message'}
          aria-describedby={hintId}
          {...mention.inputProps}
          onChange={(event) => {
            change(event.target.value);
            mention.update(event.target.value, event.target.selectionStart);
          }}
          onSelect={(event) => mention.update(event.currentTarget.value, event.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          onPaste={(event) => {
            // Pasted files (a screenshot, files copied in a file manager) become attachments; text pastes as text.
            const files = Array.from(event.clipboardData.files);
            if (files.length === 0 || editing || !mediaAllowed) return;
            event.preventDefault();
            attach(files);
          }}
        />
        {!editing && mediaAllowed && <VoiceRecorder onRecorded={(blob, name) => attach([{ blob, name }], { kind: 'voice' })} />}
        <button type="submit" className="send-button" aria-label={editing ? 'Save edit' : 'Send'} disabled={!canSubmit}>
          <SendIcon />
        </button>
      </div>
      <p id={hintId} className="composer-hint">
        {remaining < 0 ? `${(-remaining).toLocaleString('en')} over the limit · ` : remaining < 200 ? `${remaining} characters left · ` : ''}Enter to send, Shift+Enter for a new line{editing || replyTo ? ', Esc to cancel' : ''}
      </p>
    </form>
  );
}
