import type { ConversationEvent, Message } from '@parley/protocol';
import type { PendingMessage } from '@parley/sdk';
import { dayKey, dayLabel } from './format.ts';

/** One row of the message list. Keys are stable across renders, so React never remounts a row. */
export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: 'unread' }
  | { kind: 'message'; key: string; message: Message; mine: boolean; startsRun: boolean }
  | { kind: 'pending'; key: string; pending: PendingMessage }
  | { kind: 'notice'; key: string; event: ConversationEvent };

/** Messages of one sender within this long of each other form a run (one name, tighter spacing). */
const RUN_GAP_MS = 5 * 60_000;

export interface TimelineInput {
  messages: readonly Message[];
  pending: readonly PendingMessage[];
  meId: string | null;
  /** The read pointer when the conversation was opened: the "new messages" divider goes after it. */
  dividerAfterSeq: number | null;
  /** Log events shown as lines of their own (ascending seq), between the messages they came between. */
  notices?: readonly ConversationEvent[];
  now?: Date;
}

/**
 * Messages (ascending seq) and unacknowledged sends, with a separator at every new local
 * day and one "new messages" divider before the first message from someone else after
 * the read pointer.
 */
export function buildTimeline(input: TimelineInput): Row[] {
  const rows: Row[] = [];
  const now = input.now ?? new Date();
  let day: string | null = null;
  let previous: Message | null = null;
  let dividerPlaced = false;
  const notices = input.notices ?? [];
  let next = 0;
  // Notices older than the first loaded message belong to history not loaded yet.
  const firstSeq = input.messages[0]?.seq ?? Infinity;
  while (next < notices.length && notices[next]!.seq < firstSeq && input.messages.length > 0 && notices[next]!.type !== 'conversation.created') next++;
  const placeNotices = (beforeSeq: number) => {
    for (; next < notices.length && notices[next]!.seq < beforeSeq; next++) {
      const event = notices[next]!;
      const key = dayKey(event.createdAt);
      if (key !== day) {
        rows.push({ kind: 'day', key: `day-${key}`, label: dayLabel(event.createdAt, now) });
        day = key;
      }
      rows.push({ kind: 'notice', key: `notice-${event.seq}`, event });
      previous = null;
    }
  };
  for (const message of input.messages) {
    placeNotices(message.seq);
    const key = dayKey(message.createdAt);
    if (key !== day) {
      rows.push({ kind: 'day', key: `day-${key}`, label: dayLabel(message.createdAt, now) });
      day = key;
      previous = null;
    }
    const mine = message.senderId === input.meId;
    if (!dividerPlaced && input.dividerAfterSeq !== null && message.seq > input.dividerAfterSeq && !mine) {
      rows.push({ kind: 'unread', key: 'unread' });
      dividerPlaced = true;
      previous = null;
    }
    const startsRun =
      previous === null ||
      previous.senderId !== message.senderId ||
      Date.parse(message.createdAt) - Date.parse(previous.createdAt) > RUN_GAP_MS;
    rows.push({ kind: 'message', key: message.id, message, mine, startsRun });
    previous = message;
  }
  placeNotices(Infinity);
  // A retried send may be listed twice under one client id: show its latest state once.
  const known = new Set(input.messages.map((message) => message.clientMsgId));
  const latest = new Map<string, PendingMessage>();
  for (const pending of input.pending) if (!known.has(pending.clientMsgId)) latest.set(pending.clientMsgId, pending);
  for (const pending of latest.values()) {
    const key = dayKey(pending.createdAt);
    if (key !== day) {
      rows.push({ kind: 'day', key: `day-${key}`, label: dayLabel(pending.createdAt, now) });
      day = key;
    }
    rows.push({ kind: 'pending', key: `pending-${pending.clientMsgId}`, pending });
  }
  return rows;
}
