/**
 * This browser's own notification choices (the server keeps the account's: on/off and
 * previews). Kept in localStorage: they are about this device, not the account.
 */
const KEY = 'parley.notifications';

export interface DevicePrefs {
  /** Desktop notifications while the tab is in the background, and Web Push while it is closed. */
  desktop: boolean;
  sound: boolean;
}

export function readPrefs(): DevicePrefs {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<DevicePrefs>;
    return { desktop: stored.desktop === true, sound: stored.sound !== false };
  } catch {
    return { desktop: false, sound: true };
  }
}

export function writePrefs(prefs: DevicePrefs): void {
  localStorage.setItem(KEY, JSON.stringify(prefs));
  window.dispatchEvent(new Event('parley:notification-prefs'));
}

export const pushSupported = () => typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
