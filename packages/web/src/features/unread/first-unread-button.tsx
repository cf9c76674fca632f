import { type RefObject, useEffect, useState } from 'react';
import './unread.css';

/**
 * Back up to the "new messages" divider, shown while it is above what the reader sees (they
 * scrolled or jumped past it): where reading stopped before this visit, one click away.
 * It follows the scroller's scroll events itself, so only it re-renders as the reader
 * scrolls: a render of the message list sets the scroll position (and would stop a smooth
 * scroll to the end halfway).
 */
export function FirstUnreadButton({ scroller }: { scroller: RefObject<HTMLElement | null> }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const check = () => setShown(dividerAbove(el));
    check();
    el.addEventListener('scroll', check, { passive: true });
    return () => el.removeEventListener('scroll', check);
  }, [scroller]);
  if (!shown) return null;
  return (
    <button
      type="button"
      className="first-unread-button"
      aria-label="Jump to the first unread message"
      onClick={() => {
        if (scroller.current) scrollToDivider(scroller.current);
      }}
    >
      <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
        <path d="M12 19V5M5 12l7-7 7 7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      First unread
    </button>
  );
}

/** Whether the unread divider in `scroller` is entirely above its visible part. */
export function dividerAbove(scroller: HTMLElement): boolean {
  const divider = scroller.querySelector<HTMLElement>('[data-row="unread"]');
  return divider !== null && divider.offsetTop + divider.offsetHeight <= scroller.scrollTop;
}

/**
 * Scrolls `scroller` so the unread divider is at its top, and gives the first unread row the
 * focus (the button that asked disappears, and the keyboard should land where the eyes do).
 */
export function scrollToDivider(scroller: HTMLElement): void {
  const divider = scroller.querySelector<HTMLElement>('[data-row="unread"]');
  if (!divider) return;
  scroller.scrollTop = Math.max(0, divider.offsetTop - 12);
  (divider.nextElementSibling as HTMLElement | null)?.focus({ preventScroll: true });
}
