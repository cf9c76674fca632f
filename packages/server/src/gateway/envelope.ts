/**
 * What travels through the broker: a small routing header, a newline, then the frame
 * exactly as clients receive it. Nodes parse only the header; the frame was serialized
 * once by the publisher and is written to every local socket as is. (JSON never
 * contains a raw newline, so the first one is always the separator.)
 */
export interface ConversationHeader {
  k: 'c';
  /** Conversation seq: nodes deliver in this order and drop duplicates. */
  s: number;
  /** Users subscribed as of this event (they receive it). */
  sub?: string[];
  /** Users unsubscribed after this event (they receive it first). */
  unsub?: string[];
  /** When it was published (epoch ms, the publisher's clock): fan-out latency is measured from it. */
  t?: number;
  /** W3C `traceparent` of the publish, only while tracing is on: delivery on other nodes joins the sender's trace. */
  tp?: string;
  /**
   * A membership change of a large conversation, with the member count after it: hubs push it
   * only to the users it subscribes or unsubscribes and tell everyone else in one coalesced
   * `members_changed` frame (see the hub).
   */
  q?: number;
}

export interface UserHeader {
  k: 'u';
  /** User-log seq. */
  s: number;
  /** Membership change carried by this user event: conversation, its seq, member or not. */
  m?: { c: string; s: number; on: boolean };
  /** When it was published (epoch ms), as on conversation headers. */
  t?: number;
  /** W3C `traceparent`, as on conversation headers. */
  tp?: string;
}

export interface ControlHeader {
  k: 'x';
  close: { code: number; reason: string; session: string | null };
}

/**
 * Ephemeral (typing, presence, receipts): delivered to whoever is subscribed right now,
 * not ordered by any seq, never held back, never replayed.
 */
export interface EphemeralHeader {
  k: 'e';
  /** A user whose sessions skip this frame (its sender). */
  x?: string;
  /** Presence channels: no frame; subscribers check again whether they may see the user. */
  r?: 1;
  /** User channels: only the sessions of this device session get it (call signaling goes to the device in the call). */
  d?: string;
}

export type Header = ConversationHeader | UserHeader | ControlHeader | EphemeralHeader;

export const conversationChannel = (id: string) => `c:${id}`;
export const userChannel = (id: string) => `u:${id}`;
/** Who subscribed to one user's presence listens here. */
export const presenceChannel = (id: string) => `p:${id}`;

export function encodeEnvelope(header: Header, frame = ''): string {
  return `${JSON.stringify(header)}\n${frame}`;
}

const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isTime = (value: unknown) => value === undefined || Number.isFinite(value);
const isTraceparent = (value: unknown) => value === undefined || (typeof value === 'string' && value.length <= 128);
const isIdList = (value: unknown) => value === undefined || (Array.isArray(value) && value.every((id) => typeof id === 'string'));

/** Only headers this version can act on pass: a bad one is dropped, never half-applied. */
function isHeader(value: unknown): value is Header {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Record<string, any>;
  switch (header.k) {
    case 'c':
      return isSeq(header.s) && isIdList(header.sub) && isIdList(header.unsub) && isTime(header.t) && isTraceparent(header.tp) && (header.q === undefined || isSeq(header.q));
    case 'u':
      return isSeq(header.s) && isTime(header.t) && isTraceparent(header.tp) && (header.m === undefined || (typeof header.m === 'object' && header.m !== null && typeof header.m.c === 'string' && isSeq(header.m.s) && typeof header.m.on === 'boolean'));
    case 'e':
      return (header.x === undefined || typeof header.x === 'string') && (header.r === undefined || header.r === 1) && (header.d === undefined || typeof header.d === 'string');
    case 'x':
      return typeof header.close === 'object' && header.close !== null && Number.isInteger(header.close.code) && typeof header.close.reason === 'string'
        && (header.close.session === null || typeof header.close.session === 'string');
    default:
      return false;
  }
}

export function decodeEnvelope(message: string): { header: Header; frame: string } | null {
  const split = message.indexOf('\n');
  if (split < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(message.slice(0, split));
  } catch {
    return null;
  }
  return isHeader(header) ? { header, frame: message.slice(split + 1) } : null;
}
