import Type, { type Static } from 'typebox';
import { Timestamp } from './common.ts';

/**
 * Wire shapes of push notifications: what a user chose (for all their conversations and
 * per conversation) and a browser's Web Push subscription (see docs/push.md).
 */

const strict = { additionalProperties: false } as const;

export const PushLimits = {
  /** A push service endpoint URL (RFC 8030); browsers give a few hundred characters. */
  webPushEndpointMaxLength: 2048,
} as const;

/** Your choices for every conversation: notifications at all, and whether they show the sender and text. */
export const PushSettings = Type.Object({
  enabled: Type.Boolean(),
  /** False: notifications say only that there is a new message, never who wrote what. */
  previews: Type.Boolean(),
});
export type PushSettings = Static<typeof PushSettings>;

export const PushSettingsBody = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  previews: Type.Optional(Type.Boolean()),
}, { ...strict, minProperties: 1 });
export type PushSettingsBody = Static<typeof PushSettingsBody>;

/**
 * Per conversation: every message, only messages that mention you, or nothing (until
 * `mutedUntil`, or for good when it is null). Channels start muted for subscribers.
 */
export const PushMode = Type.Enum(['all', 'mentions', 'muted']);
export type PushMode = 'all' | 'mentions' | 'muted';

export const ConversationPushSettings = Type.Object({
  mode: PushMode,
  /** With `muted`: when notifications come back (null: muted until changed). Null otherwise. */
  mutedUntil: Type.Union([Timestamp, Type.Null()]),
});
export type ConversationPushSettings = Static<typeof ConversationPushSettings>;

export const ConversationPushSettingsBody = Type.Object({
  mode: PushMode,
  /** Only with `muted`; a time in the past unmutes. */
  mutedUntil: Type.Optional(Type.Union([Timestamp, Type.Null()])),
}, strict);
export type ConversationPushSettingsBody = Static<typeof ConversationPushSettingsBody>;

const Base64Url = (minLength: number, maxLength: number) => Type.String({ minLength, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });

/** What `PushManager.subscribe()` gives a page (`subscription.toJSON()`), for this device session. */
export const WebPushSubscriptionBody = Type.Object({
  endpoint: Type.String({ minLength: 8, maxLength: PushLimits.webPushEndpointMaxLength, pattern: '^https?://' }),
  expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  keys: Type.Object({
    /** The browser's P-256 public key, uncompressed (65 bytes), base64url. */
    p256dh: Base64Url(86, 90),
    /** The 16-byte authentication secret, base64url. */
    auth: Base64Url(21, 24),
  }, strict),
}, strict);
export type WebPushSubscriptionBody = Static<typeof WebPushSubscriptionBody>;

/** The server's VAPID public key (RFC 8292): the `applicationServerKey` of `PushManager.subscribe()`. */
export const VapidKeyResponse = Type.Object({
  /** Uncompressed P-256 point, base64url; null when Web Push is off on this server. */
  publicKey: Type.Union([Type.String(), Type.Null()]),
});
export type VapidKeyResponse = Static<typeof VapidKeyResponse>;

/**
 * The `data` of every notification (all platforms), so the app can open the conversation
 * and sync from `seq` without another request.
 */
export const PushData = Type.Object({
  conversationId: Type.String(),
  seq: Type.Integer(),
  messageId: Type.String(),
  /** The user's unread total when it was sent: the app icon's badge. */
  badge: Type.Integer({ minimum: 0 }),
  /** True when you were mentioned. */
  mention: Type.Boolean(),
  /**
   * Absent or `message`: a message (above). `call_ring`: a call rings for you (`callId`,
   * `callKind`; `seq` 0, `messageId` empty) — show the incoming call until a `call_ring_stop`
   * with the same `callId` arrives or the notification expires; `GET /v1/me/calls` says
   * whether it still rings. `call_ring_stop`: it was answered, declined, missed or ended.
   */
  kind: Type.Optional(Type.Enum(['message', 'call_ring', 'call_ring_stop'])),
  callId: Type.Optional(Type.String()),
  callKind: Type.Optional(Type.Enum(['voice', 'video'])),
});
export type PushData = Static<typeof PushData>;
