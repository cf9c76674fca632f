import type { ConversationKind, PushData } from '@parley/protocol';
import type { PushNotification } from './providers/push-provider.ts';

/** A preview is a glance, not the message: long texts are cut here (providers cut further to fit 4 KB). */
const PREVIEW_CHARS = 500;

export interface ContentInput {
  kind: ConversationKind;
  conversationTitle: string | null;
  senderName: string;
  text: string;
  /** The user allows previews and the conversation is not protected. */
  previews: boolean;
  data: PushData;
}

function preview(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= PREVIEW_CHARS ? chars.join('') : `${chars.slice(0, PREVIEW_CHARS).join('')}…`;
}

/**
 * What a notification shows. With previews: who wrote what, and where. Without (the user
 * chose so, or the conversation protects its content): a generic text that names neither
 * the sender nor the conversation, since a lock screen is read by anyone nearby.
 */
export function notificationContent(input: ContentInput): PushNotification {
  const { data } = input;
  const collapseKey = data.conversationId;
  if (!input.previews) {
    return { title: 'New message', body: data.mention ? 'You were mentioned in a conversation' : 'You have a new message', data, collapseKey };
  }
  const text = preview(input.text);
  if (input.kind === 'direct') return { title: input.senderName, body: text, data, collapseKey };
  if (input.kind === 'channel') return { title: input.conversationTitle ?? input.senderName, body: text, data, collapseKey };
  return { title: input.conversationTitle ?? 'Group', body: `${input.senderName}: ${text}`, data, collapseKey };
}
