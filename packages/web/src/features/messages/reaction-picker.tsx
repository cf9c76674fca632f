import { useLayoutEffect, useRef } from 'react';
import { usePopupNavigation } from '../../hooks/use-popup-navigation.ts';
import './messages.css';

/** The few reactions offered by the picker; chips show whatever the server counts. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;

/** A row of common emoji and "More reactions" (the full picker); arrows move, Enter picks, Escape closes. Picking your own again removes it. */
export function ReactionPicker({ mine, onPick, onClose, onMore }: { mine: Set<string>; onPick(emoji: string): void; onClose(refocus: boolean): void; onMore(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  // Above the message when the history has room there, else below it: never over the message itself.
  useLayoutEffect(() => {
    const picker = ref.current;
    const holder = picker?.offsetParent as HTMLElement | null;
    const row = picker?.closest('.message')?.querySelector<HTMLElement>('.message-row');
    const scroller = picker?.closest<HTMLElement>('.message-scroller');
    if (!picker || !holder || !row || !scroller) return;
    const rowTop = row.getBoundingClientRect().top;
    if (rowTop - scroller.getBoundingClientRect().top >= picker.offsetHeight + 8) {
      picker.style.bottom = `${holder.getBoundingClientRect().bottom - rowTop + 4}px`;
    } else {
      picker.style.bottom = 'auto';
      picker.style.top = 'calc(100% + 4px)';
    }
  }, []);
  // Mounted only while shown; a press on the "add reaction" button is left to its own toggle.
  const onKeyDown = usePopupNavigation(ref, { open: true, items: 'button', orientation: 'horizontal', close: onClose, ignorePress: (target) => !!target.closest?.('.reaction-add'), preventScroll: true });
  return (
    <div ref={ref} className="reaction-picker" role="toolbar" aria-label="Choose a reaction" onKeyDown={onKeyDown}>
      {QUICK_REACTIONS.map((emoji) => (
        <button
          key={emoji}
          type="button"
          aria-label={`React with ${emoji}`}
          aria-pressed={mine.has(emoji)}
          onClick={() => {
            onPick(emoji);
            onClose(true);
          }}
        >
          {emoji}
        </button>
      ))}
      {/* Any emoji: the full picker (it replaces this row). */}
      <button type="button" aria-label="More reactions" className="reaction-more" onClick={onMore}>
        +
      </button>
    </div>
  );
}
