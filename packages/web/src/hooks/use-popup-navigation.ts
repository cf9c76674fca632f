import { type KeyboardEvent, type RefObject, useEffect, useRef } from 'react';

export interface PopupNavigation {
  /** Shown: while it is, its first item has focus and a press outside closes it. */
  open: boolean;
  /** What the arrow keys move between (a selector inside the popup). */
  items: string;
  /** `vertical` (a menu): ArrowDown and ArrowUp; `horizontal` (a toolbar): ArrowRight and ArrowLeft. */
  orientation: 'vertical' | 'horizontal';
  /** Closes it; `refocus` when focus goes back to what opened it (Escape, not Tab or a press elsewhere, which take focus on themselves). */
  close(refocus: boolean): void;
  /** Presses on this outside the popup leave it to its own click (the button that toggles it). */
  ignorePress?(target: Element): boolean;
  /** Do not scroll to the first item when it takes focus (a popup placed in a scrolling history). */
  preventScroll?: boolean;
}

/**
 * The keyboard and pointer handling of a small popup of buttons (a menu, a toolbar): its
 * first item takes focus when it opens, the arrows go round its items, Escape closes it and
 * gives focus back, Tab or a press outside closes it. Returns its `onKeyDown`.
 */
export function usePopupNavigation(popup: RefObject<HTMLElement | null>, options: PopupNavigation): (event: KeyboardEvent) => void {
  const { open, items, orientation, close } = options;
  // The latest options, so the effect runs once per opening, not on every render.
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    if (!open) return;
    popup.current?.querySelector<HTMLElement>(latest.current.items)?.focus(latest.current.preventScroll ? { preventScroll: true } : undefined);
    const outside = (event: PointerEvent) => {
      const target = event.target as Element | null;
      if (popup.current?.contains(target) || (target && latest.current.ignorePress?.(target))) return;
      latest.current.close(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open, popup]);

  const [next, previous] = orientation === 'vertical' ? ['ArrowDown', 'ArrowUp'] : ['ArrowRight', 'ArrowLeft'];
  return (event) => {
    const all = [...(popup.current?.querySelectorAll<HTMLElement>(items) ?? [])];
    const index = all.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
    } else if (event.key === next || event.key === previous) {
      event.preventDefault();
      all[(index + (event.key === next ? 1 : -1) + all.length) % all.length]?.focus();
    } else if (event.key === 'Tab') {
      close(false);
    }
  };
}
