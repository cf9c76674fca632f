import './unread.css';

/**
 * Back up to the "new messages" divider, shown while it is above what the reader sees (they
 * scrolled or jumped past it): where reading stopped before this visit, one click away.
 */
export function FirstUnreadButton({ onJump }: { onJump(): void }) {
  return (
    <button type="button" className="first-unread-button" aria-label="Jump to the first unread message" onClick={onJump}>
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
