import type { ParleyClient } from '@parley/sdk';
import { pushSupported } from './notification-prefs.ts';

/**
 * Subscribes this browser to Web Push through the service worker (after the user allowed
 * notifications) and registers the subscription for this device session. False when the
 * browser or the server cannot, or the user said no.
 */
export async function enableWebPush(client: ParleyClient): Promise<boolean> {
  if (!pushSupported()) return false;
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  if (permission !== 'granted') return false;
  const registration = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  return client.subscribeWebPush(registration);
}

/** Ends this browser's subscription (sign-out, or notifications turned off); the server forgets it too. */
export async function disableWebPush(client: ParleyClient | null): Promise<void> {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration('/sw.js');
  const subscription = await registration?.pushManager.getSubscription();
  await subscription?.unsubscribe().catch(() => false);
  await client?.unregisterPush().catch(() => {});
}
