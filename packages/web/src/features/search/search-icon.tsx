/** A magnifier, decorative like the shared icons (its button has an aria-label); kept here so the shared icon file stays untouched. */
export const SearchIcon = () => (
  <svg viewBox="0 0 24 24" width={20} height={20} aria-hidden focusable={false} fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round">
    <circle cx="11" cy="11" r="7" />
    <path d="m20 20-3.5-3.5" />
  </svg>
);
