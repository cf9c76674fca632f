import Type, { type Static } from 'typebox';
import { Id, Seq, Timestamp } from './common.ts';
import { RealtimeLimits } from './limits.ts';

/**
 * Wire shapes of what users notice every second: receipts, typing, presence, devices.
 * None of these is written to a conversation's log: receipts are per-member pointers,
 * typing and presence are ephemeral frames (see docs/protocol.md).
 */

const strict = { additionalProperties: false } as const;



// --- receipts ----------------------------------------------------------------------------

/**
 * One member's pointers in a conversation: everything up to `deliveredSeq` reached at
 * least one of their devices, everything up to `readSeq` was read (so `readSeq <=
 * deliveredSeq` always: reading implies delivery).
 */
export const ReceiptPointers = Type.Object({ deliveredSeq: Seq, readSeq: Seq });
export type ReceiptPointers = Static<typeof ReceiptPointers>;

/** "Delivered up to" reports, batched: the highest seq of each conversation that reached this device. */
export const DeliveredBody = Type.Object({
  conversations: Type.Array(Type.Object({ id: Id, seq: Seq }, strict), { minItems: 1, maxItems: RealtimeLimits.deliveredMax }),
}, strict);
export type DeliveredBody = Static<typeof DeliveredBody>;

/**
 * Who received and read one message. Lists are given to the message's sender in direct
 * conversations and groups up to the server's RECEIPTS_MAX_GROUP members (up to `limit`
 * ids each); beyond that, and in channels (view counts), only the counts. The sender is
 * never counted.
 */
export const MessageReceipts = Type.Object({
  messageId: Id,
  seq: Seq,
  /** Members who were in the conversation when the message was sent, other than the sender. */
  recipients: Type.Integer({ minimum: 0 }),
  readCount: Type.Integer({ minimum: 0 }),
  /** Delivered to at least one device (read ones included). */
  deliveredCount: Type.Integer({ minimum: 0 }),
  /** Null when only counts are available. */
  readBy: Type.Union([Type.Array(Id), Type.Null()]),
  /** Delivered but not read yet; null when only counts are available. */
  deliveredTo: Type.Union([Type.Array(Id), Type.Null()]),
});
export type MessageReceipts = Static<typeof MessageReceipts>;

export const MessageReceiptsResponse = Type.Object({ receipts: MessageReceipts });
export type MessageReceiptsResponse = Static<typeof MessageReceiptsResponse>;

// --- presence ----------------------------------------------------------------------------

/** Who may see my presence: everyone, people I share a conversation with, or nobody. Users I blocked never do. */
export const PresencePrivacy = Type.Enum(['everyone', 'contacts', 'nobody']);
export type PresencePrivacy = 'everyone' | 'contacts' | 'nobody';

/**
 * `hidden`: you may not see this user's presence (their privacy setting, or a block — the
 * two are not told apart). `lastSeenAt` is set for `offline` users whose last session
 * ended while this server could see it.
 */
export const Presence = Type.Object({
  userId: Id,
  status: Type.Enum(['online', 'offline', 'hidden']),
  lastSeenAt: Type.Union([Timestamp, Type.Null()]),
});
export type Presence = Static<typeof Presence>;

export const PresenceResponse = Type.Object({ presence: Presence });
export type PresenceResponse = Static<typeof PresenceResponse>;

export const PresenceListResponse = Type.Object({ presence: Type.Array(Presence) });
export type PresenceListResponse = Static<typeof PresenceListResponse>;

export const PresenceSettings = Type.Object({ privacy: PresencePrivacy });
export type PresenceSettings = Static<typeof PresenceSettings>;

export const PresenceSettingsBody = Type.Object({ privacy: PresencePrivacy }, strict);
export type PresenceSettingsBody = Static<typeof PresenceSettingsBody>;

// --- devices -----------------------------------------------------------------------------

export const PushPlatform = Type.Enum(['apns', 'fcm', 'webpush']);
export type PushPlatform = 'apns' | 'fcm' | 'webpush';

/** One signed-in device session. */
export const Device = Type.Object({
  id: Id,
  name: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  /** Last token refresh or socket connection (updated at most once a minute). */
  lastUsedAt: Timestamp,
  /** The session this request was made with. */
  current: Type.Boolean(),
  /** The platform of the registered push token (the token itself is never sent back). */
  pushPlatform: Type.Union([PushPlatform, Type.Null()]),
});
export type Device = Static<typeof Device>;

export const DevicesResponse = Type.Object({ devices: Type.Array(Device) });
export type DevicesResponse = Static<typeof DevicesResponse>;

export const PushTokenBody = Type.Object({
  platform: PushPlatform,
  token: Type.String({ minLength: 1, maxLength: RealtimeLimits.pushTokenMaxLength }),
}, strict);
export type PushTokenBody = Static<typeof PushTokenBody>;
