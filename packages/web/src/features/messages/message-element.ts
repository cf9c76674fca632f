/** A message's element in the open history, found by id. */
export function messageElement(messageId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.message-scroller [data-message-id="${CSS.escape(messageId)}"]`);
}

/** Focus back on a message's action button (after its picker or a dialog closes). */
export function focusMessageActions(messageId: string): void {
  messageElement(messageId)?.querySelector<HTMLElement>('.message-menu-button')?.focus();
}

/** Brings a message into view and highlights it briefly. */
export function flash(target: HTMLElement): void {
  target.scrollIntoView({ block: 'center' });
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1200);
  target.focus({ preventScroll: true });
}

/** The message's element once React has rendered it (up to about a second). */
export function waitForElement(messageId: string): Promise<HTMLElement | null> {
  return new Promise((resolve) => {
    let frames = 0;
    const check = () => {
      const found = messageElement(messageId);
      if (found || ++frames > 60) resolve(found);
      else requestAnimationFrame(check);
    };
    check();
  });
}
