/** Light, dark, or whatever the system says (the default). */
export type Theme = 'system' | 'light' | 'dark';

const KEY = 'parley.theme';

export function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/**
 * Shows a theme: `data-theme` on <html> pins the CSS's color-scheme (styles.css picks each
 * colour with light-dark()); without it the system's setting decides, live. Remembered in
 * this browser.
 */
export function applyTheme(theme: Theme, remember = true): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  if (!remember) return;
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Not remembered: it holds for this page.
  }
}
