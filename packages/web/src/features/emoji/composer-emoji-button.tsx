import { type RefObject, useState } from 'react';
import { EmojiPickerDialog } from './emoji-picker-dialog.tsx';

/** The composer's emoji button: the full picker, and the chosen emoji goes in at the caret (replacing a selection). */
export function ComposerEmojiButton({ input, onInsert }: { input: RefObject<HTMLTextAreaElement | null>; onInsert(text: string): void }) {
  const [open, setOpen] = useState(false);
  const insert = (emoji: string) => {
    const box = input.current;
    if (!box) return;
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? start;
    onInsert(box.value.slice(0, start) + emoji + box.value.slice(end));
    const caret = start + emoji.length;
    // After the dialog has given focus back to this button: the text box takes it.
    requestAnimationFrame(() => {
      box.focus();
      box.setSelectionRange(caret, caret);
    });
  };
  return (
    <>
      <button type="button" className="icon-button composer-emoji" aria-label="Insert emoji" onClick={() => setOpen(true)}>
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
          <circle cx="12" cy="12" r="9" />
          <path d="M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01" />
        </svg>
      </button>
      <EmojiPickerDialog title="Insert emoji" open={open} onPick={insert} onClose={() => setOpen(false)} />
    </>
  );
}
