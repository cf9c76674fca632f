import { lazy, Suspense } from 'react';
import { createPortal } from 'react-dom';
import { Dialog } from '../../components/dialog.tsx';

const EmojiPickerPanel = lazy(() => import('./emoji-picker-panel.tsx'));

/**
 * "Choose an emoji": the full picker in a dialog, for reactions and for the composer. The
 * picker's code and its data load the first time it opens (the first load stays within the
 * bundle budget); picking closes it.
 */
export function EmojiPickerDialog({ title, open, onPick, onClose }: { title: string; open: boolean; onPick(emoji: string): void; onClose(): void }) {
  // Outside the composer's form and the message's row in the DOM: its buttons submit nothing there.
  return createPortal(
    <Dialog title={title} open={open} onClose={onClose}>
      {open && (
        <Suspense fallback={<p className="list-status" role="status">Loading emoji…</p>}>
          <EmojiPickerPanel
            onPick={(emoji) => {
              onPick(emoji);
              onClose();
            }}
          />
        </Suspense>
      )}
    </Dialog>,
    document.body,
  );
}
