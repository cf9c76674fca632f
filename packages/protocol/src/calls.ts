import Type, { type Static } from 'typebox';
import { Id, Timestamp } from './common.ts';

/**
 * Voice, video and group calls. The server owns the lifecycle (who rings, who answered,
 * who is in, how it ended), and every step is an event in the conversation's log; media
 * never passes through it: 1:1 calls go peer to peer (signaling relayed over the socket,
 * TURN credentials handed out per call), group calls through a media backend (LiveKit).
 * docs/calls.md tells the whole story.
 */

const strict = { additionalProperties: false } as const;

export const CallLimits = {
  /** Characters of one SDP offer or answer (a video call with a data channel is 3–8 KB). */
  sdpMaxLength: 16_384,
  /** Characters of one ICE candidate line. */
  candidateMaxLength: 1_024,
  /** Characters of an `sdpMid`/`usernameFragment`. */
  iceFieldMaxLength: 256,
} as const;

export const CallKind = Type.Enum(['voice', 'video']);
export type CallKind = 'voice' | 'video';

/** `p2p`: media flows between the devices (1:1, and small groups without a media backend as a mesh); `sfu`: through the media backend. */
export const CallMode = Type.Enum(['p2p', 'sfu']);
export type CallMode = 'p2p' | 'sfu';

/** `ringing`: nobody but the caller has joined yet; `active`: someone answered; `ended`: over, for good. */
export const CallState = Type.Enum(['ringing', 'active', 'ended']);
export type CallState = 'ringing' | 'active' | 'ended';

/** One person's part in a call: rung and not answered yet, in it, or out of it one way or another. */
export const CallParticipantState = Type.Enum(['invited', 'joined', 'declined', 'missed', 'busy', 'left']);
export type CallParticipantState = 'invited' | 'joined' | 'declined' | 'missed' | 'busy' | 'left';

/**
 * Why a call ended: `hangup` (the caller or a moderator ended it, or the last participant
 * left), `declined` (1:1: the callee declined), `no_answer` (nobody answered before the ring
 * ran out), `cancelled` (the caller hung up while it rang), `caller_gone` (the caller's
 * device disconnected while it rang), `busy` (1:1: the callee was in another call),
 * `removed` (the conversation or the caller's place in it went away), `media_ended` (the
 * media backend closed the room).
 */
export const CallEndReason = Type.Enum(['hangup', 'declined', 'no_answer', 'cancelled', 'caller_gone', 'busy', 'removed', 'media_ended']);
export type CallEndReason = 'hangup' | 'declined' | 'no_answer' | 'cancelled' | 'caller_gone' | 'busy' | 'removed' | 'media_ended';

/** Why someone left a call: on their own, removed from the conversation (kick or ban), their device gone too long, or the media backend saw them leave. */
export const CallLeaveReason = Type.Enum(['left', 'removed', 'disconnected', 'media_left']);
export type CallLeaveReason = 'left' | 'removed' | 'disconnected' | 'media_left';

export const CallParticipant = Type.Object({
  userId: Id,
  state: CallParticipantState,
  joinedAt: Type.Union([Timestamp, Type.Null()]),
});
export type CallParticipant = Static<typeof CallParticipant>;

export const Call = Type.Object({
  id: Id,
  conversationId: Id,
  kind: CallKind,
  mode: CallMode,
  state: CallState,
  callerId: Id,
  createdAt: Timestamp,
  /** When the ring runs out for whoever has not answered. */
  ringExpiresAt: Timestamp,
  /** When the first callee joined; null while it rings (or if nobody ever did). */
  answeredAt: Type.Union([Timestamp, Type.Null()]),
  endedAt: Type.Union([Timestamp, Type.Null()]),
  endReason: Type.Union([CallEndReason, Type.Null()]),
  /** Everyone rung or joined (in a large group, those who were rung and those who joined). */
  participants: Type.Array(CallParticipant),
});
export type Call = Static<typeof Call>;

/** One ICE server as `RTCPeerConnection` takes it. TURN entries carry time-limited credentials (coturn's `use-auth-secret`). */
export const IceServer = Type.Object({
  urls: Type.Array(Type.String()),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String()),
});
export type IceServer = Static<typeof IceServer>;

/**
 * How this device reaches the call's media: peer to peer with these ICE servers (the
 * credentials expire at `expiresAt`; ask again with `GET /v1/calls/:id/media`), or a room of
 * the media backend with a token whose grants follow your rights (`canPublish` false:
 * listen only, e.g. a channel's subscribers).
 */
export const CallMedia = Type.Union([
  Type.Object({ type: Type.Literal('p2p'), iceServers: Type.Array(IceServer), expiresAt: Type.Union([Timestamp, Type.Null()]) }),
  Type.Object({ type: Type.Literal('livekit'), url: Type.String(), room: Type.String(), token: Type.String(), canPublish: Type.Boolean(), expiresAt: Timestamp }),
  /**
   * Janus VideoRoom: its HTTP API at `url`; join `room` with `token` (on the room's `allowed`
   * list until you leave or are removed) and `display` (your user id: how Parley finds you to
   * remove you). `expiresAt` is null: the token lasts as long as your place in the call.
   */
  Type.Object({
    type: Type.Literal('janus'), url: Type.String(), room: Type.String(), token: Type.String(), display: Type.String(), canPublish: Type.Boolean(),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
  }),
]);
export type CallMedia = Static<typeof CallMedia>;

export const StartCallBody = Type.Object({ kind: CallKind }, strict);
export type StartCallBody = Static<typeof StartCallBody>;

export const CallParams = Type.Object({ callId: Id });

export const CallResponse = Type.Object({ call: Call });
export type CallResponse = Static<typeof CallResponse>;

/** The call, and how this device reaches its media (null once the call is over for you). */
export const CallJoinResponse = Type.Object({ call: Call, media: Type.Union([CallMedia, Type.Null()]) });
export type CallJoinResponse = Static<typeof CallJoinResponse>;

export const CallsResponse = Type.Object({ calls: Type.Array(Call) });
export type CallsResponse = Static<typeof CallsResponse>;

export const CallMediaResponse = Type.Object({ media: CallMedia });
export type CallMediaResponse = Static<typeof CallMediaResponse>;

const Sdp = Type.String({ minLength: 1, maxLength: CallLimits.sdpMaxLength });
const IceField = Type.String({ maxLength: CallLimits.iceFieldMaxLength });

/**
 * What WebRTC peers tell each other, relayed as is between two participants of a call
 * and never stored. A candidate with an empty `candidate` is "end of candidates".
 */
export const CallSignal = Type.Union([
  Type.Object({ type: Type.Literal('offer'), sdp: Sdp }, strict),
  Type.Object({ type: Type.Literal('answer'), sdp: Sdp }, strict),
  Type.Object({
    type: Type.Literal('candidate'),
    candidate: Type.String({ maxLength: CallLimits.candidateMaxLength }),
    sdpMid: Type.Optional(Type.Union([IceField, Type.Null()])),
    sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 255 }), Type.Null()])),
    usernameFragment: Type.Optional(Type.Union([IceField, Type.Null()])),
  }, strict),
]);
export type CallSignal = Static<typeof CallSignal>;

// Conversation-log events of a call (their shapes; the union lives with the others in entities.ts).
export const CallStartedData = Type.Object({ callId: Id, kind: CallKind, mode: CallMode, callerId: Id, invitedUserIds: Type.Array(Id) });
export const CallJoinedData = Type.Object({ callId: Id, userId: Id });
export const CallDeclinedData = Type.Object({ callId: Id, userId: Id });
export const CallLeftData = Type.Object({ callId: Id, userId: Id, reason: CallLeaveReason });
/** Who did not answer: the ring ran out, the caller hung up or went away first, or they were busy. */
export const CallMissedData = Type.Object({ callId: Id, userIds: Type.Array(Id), reason: Type.Enum(['no_answer', 'cancelled', 'caller_gone', 'busy']) });
/** The last event of every call. `durationMs`: from the first answer to the end (0 if nobody answered). */
export const CallEndedData = Type.Object({ callId: Id, reason: CallEndReason, durationMs: Type.Integer({ minimum: 0 }), answered: Type.Boolean() });

/**
 * Server -> client, live only (never replayed: after a reconnect, `GET /v1/me/calls` says
 * what is ringing for you). `call_ring`: ring this device until `expiresInMs` passes or a
 * `call_ring_stop` for the call arrives. Its `call.participants` lists who is in the call
 * (the caller), not everyone rung (that is `call.started`'s `invitedUserIds`).
 */
export const CallRingFrame = Type.Object({ t: Type.Literal('call_ring'), call: Call, expiresInMs: Type.Integer({ minimum: 0 }) });
export type CallRingFrame = Static<typeof CallRingFrame>;

/**
 * Stop ringing: answered or declined on another of your devices, or the call rang out,
 * was cancelled, or ended. The conversation log has the event that says which for everyone.
 */
export const CallRingStopFrame = Type.Object({
  t: Type.Literal('call_ring_stop'),
  callId: Id,
  conversationId: Id,
  reason: Type.Enum(['answered_elsewhere', 'declined_elsewhere', 'missed', 'ended']),
});
export type CallRingStopFrame = Static<typeof CallRingStopFrame>;

/** A peer's offer, answer or ICE candidate, from `from` (their device `fromDevice`, when known). */
export const CallSignalFrame = Type.Object({ t: Type.Literal('call_signal'), callId: Id, from: Id, fromDevice: Type.Union([Id, Type.Null()]), signal: CallSignal });
export type CallSignalFrame = Static<typeof CallSignalFrame>;
