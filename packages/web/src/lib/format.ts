import type { Conversation, User } from '@parley/protocol';

/** Initials for an avatar: first letters of the first two words, or the first two characters. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return '?';
  const chars = words.length >= 2 ? [firstChar(words[0]!), firstChar(words[1]!)] : [...words[0]!].slice(0, 2);
  return chars.join('').toUpperCase();
}

function firstChar(word: string): string {
  return [...word][0] ?? '';
}

/** A stable hue per id, so a person's avatar keeps its colour everywhere. */
export function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % 360;
}

export function conversationTitle(conversation: Pick<Conversation, 'kind' | 'title' | 'peer'>): string {
  if (conversation.kind === 'direct') return conversation.peer?.displayName ?? 'Direct conversation';
  return conversation.title?.trim() || (conversation.kind === 'channel' ? 'Untitled channel' : 'Untitled group');
}

/** "3 members", or "1 subscriber" in a channel: the same words wherever a conversation's size shows. */
export function memberCountLabel(kind: Conversation['kind'], count: number): string {
  const [one, many] = kind === 'channel' ? ['subscriber', 'subscribers'] : ['member', 'members'];
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}

export function handleOf(user: Pick<User, 'handle'> | null | undefined): string | null {
  return user?.handle ? `@${user.handle}` : null;
}

/** Local calendar day of an ISO timestamp, as a sortable key. */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** "Today", "Yesterday", a weekday within the last week, or a date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return date.toLocaleDateString(undefined, { weekday: 'long' });
  return date.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', ...(date.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}) });
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date and time in the reader's locale (invite expiry, mutes, devices); the input itself when it is not a date. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function timeLabel(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Short activity time for the conversation list: a time today, a weekday this week, else a date. */
export function shortWhen(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
  if (days === 0) return timeLabel(iso);
  if (days > 0 && days < 7) return date.toLocaleDateString(undefined, { weekday: 'short' });
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', ...(date.getFullYear() !== now.getFullYear() ? { year: '2-digit' } : {}) });
}

/** One line of preview text: newlines folded, trimmed to a length. */
export function previewText(text: string, max = 120): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function unreadLabel(count: number): string {
  return count > 99 ? '99+' : String(count);
}
