// Parley's service worker: shows Web Push notifications while no tab of the app is open (or
// all are in the background), and opens the conversation when one is clicked. The payload is
// what the server sends: {title, body, data: {conversationId, seq, messageId, badge, mention}, tag}.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : null;
  } catch {
    message = null;
  }
  if (!message || typeof message.title !== 'string') return;
  event.waitUntil((async () => {
    // A visible tab shows the message itself: no notification over it.
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (windows.some((client) => client.visibilityState === 'visible')) return;
    await self.registration.showNotification(message.title, { body: message.body, tag: message.tag, data: message.data, renotify: false });
    if (navigator.setAppBadge && message.data && typeof message.data.badge === 'number') await navigator.setAppBadge(message.data.badge).catch(() => {});
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const id = event.notification.data && event.notification.data.conversationId;
  const path = id ? `/c/${encodeURIComponent(id)}` : '/';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      await open.focus();
      open.postMessage({ type: 'parley:open', path });
      return;
    }
    await self.clients.openWindow(path);
  })());
});
