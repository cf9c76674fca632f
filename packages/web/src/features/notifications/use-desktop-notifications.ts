import type { ParleyClient } from '@parley/sdk';
import { useEffect } from 'react';
import type { UserDirectory } from '../../lib/users.ts';
import { conversationPath, navigate } from '../../lib/router.ts';
import { readPrefs } from './notification-prefs.ts';

/** A short two-tone chime, made on the spot (no audio file to ship). */
function chime(): void {
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.gain.value = 0.05;
    gain.connect(context.destination);
    for (const [i, frequency] of [880, 1320].entries()) {
      const tone = context.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(context.currentTime + i * 0.12);
      tone.stop(context.currentTime + i * 0.12 + 0.1);
    }
    setTimeout(() => void context.close(), 500);
  } catch {
    // No audio (autoplay policy): the notification still shows.
  }
}

/**
 * While the tab is in the background: a desktop notification (sender and preview) for each
 * new message from someone else, optionally with a sound; clicking it opens the
 * conversation. The service worker's "open this conversation" messages are followed too.
 */
export function useDesktopNotifications(client: ParleyClient, users: UserDirectory): void {
  useEffect(() => {
    const off = client.on('event', (event) => {
      if (event.type !== 'message.created' || document.visibilityState === 'visible') return;
      const { message } = event.data;
      if (message.senderId === client.me?.id || message.text === null) return;
      const prefs = readPrefs();
      if (!prefs.desktop || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
      const conversation = client.store.get(message.conversationId)?.summary;
      const sender = users.get(message.senderId)?.displayName ?? 'New message';
      const title = conversation && conversation.kind !== 'direct' && conversation.title ? conversation.title : sender;
      const body = conversation && conversation.kind === 'group' ? `${sender}: ${message.text}` : message.text;
      const notification = new Notification(title, { body: body.slice(0, 500), tag: message.conversationId, data: { conversationId: message.conversationId } });
      notification.onclick = () => {
        window.focus();
        navigate(conversationPath(message.conversationId));
        notification.close();
      };
      if (prefs.sound) chime();
    });
    const followWorker = (event: MessageEvent) => {
      const data = event.data as { type?: string; path?: string } | null;
      if (data?.type === 'parley:open' && typeof data.path === 'string' && data.path.startsWith('/')) navigate(data.path);
    };
    navigator.serviceWorker?.addEventListener('message', followWorker);
    return () => {
      off();
      navigator.serviceWorker?.removeEventListener('message', followWorker);
    };
  }, [client, users]);
}
