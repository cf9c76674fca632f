import type {
  Call, CallEndReason, CallJoinResponse, CallKind, CallLeaveReason, CallMedia, CallRingFrame, CallRingStopFrame, CallSignal, CallSignalFrame, ConversationKind,
} from '@parley/protocol';
import type { CallsConfig } from '../../config/index.ts';
import type { CallParticipantsTable, CallsTable, Database, Tx } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { iso, isoOrNull, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendEvent, type ChangeSet, lockConversation, type UnitOfWork } from '../logs/index.ts';
import { access, type MemberAction } from '../policy/index.ts';
import * as repo from './calls.repository.ts';
import type { MediaBackend, MediaEvent } from './media-backend.ts';
import { iceServersFor } from './turn-credentials.ts';

export interface CallsDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  ephemeral: EphemeralPublisher;
  logger: Logger;
  config: Pick<CallsConfig, 'ringTimeoutMs' | 'reconnectGraceMs' | 'sweepIntervalMs' | 'maxRing' | 'meshMaxParticipants' | 'stunUrls' | 'turn'>;
  /** Null: no media backend (group calls peer to peer as a mesh, none in channels). */
  media: MediaBackend | null;
  /** Charges one signaling frame to its sender (throws `rate_limited`). */
  drawSignal: (userId: string) => Promise<void>;
  /** Rings the devices of callees whose app is closed (push), and stops those rings; null: no push. */
  ringPush?: {
    ring(input: { callId: string; conversationId: string; callerId: string; kind: CallKind; userIds: readonly string[]; expiresAt: number }): Promise<unknown>;
    stop(callId: string, conversationId: string, userIds: readonly string[], reason: string): Promise<void>;
  } | null;
}

export type CallsService = ReturnType<typeof createCallsService>;

/** What is done once the transaction committed: ring frames, media-backend calls. */
type Effect = () => void | Promise<void>;

/** A call as read under its conversation's lock, changed in place as the work goes on. */
interface CallState {
  call: CallsTable;
  participants: CallParticipantsTable[];
  conversationKind: ConversationKind;
}

/** Participants of a room at most (LiveKit's `maxParticipants`). */
const MAX_ROOM_PARTICIPANTS = 500;
/** Calls one sweep settles at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

const callNotFound = () => new AppError('not_found', 'Call not found.');
const callEnded = () => new AppError('call_ended', 'This call is over.');

/**
 * The call lifecycle, as conversation state. Every change runs in one transaction under
 * the conversation's lock (so two devices answering at once, a ring running out and a
 * hang-up are decided one after the other, on any node), appends its event to the
 * conversation's log, and only after commit rings devices, stops rings and tells the
 * media backend. Ring expiry is evaluated from stored timestamps whenever a call is
 * touched, and a sweep on every node settles the ones nobody touches: a node dying
 * mid-ring leaves nothing that another node does not finish.
 */
export function createCallsService({ db, uow, clock, ephemeral, logger, config, media, drawSignal, ringPush = null }: CallsDeps) {
  const kysely = db.kysely;

  async function run<T>(work: (trx: Tx, changes: ChangeSet, after: Effect[]) => Promise<T>): Promise<T> {
    let effects: Effect[] = [];
    const result = await uow((trx, changes) => {
      // A retried transaction starts its effects afresh, like its changes.
      effects = [];
      return work(trx, changes, effects);
    });
    for (const effect of effects) {
      try {
        await effect();
      } catch (error) {
        logger.warn({ err: error }, 'a call effect failed after commit');
      }
    }
    return result;
  }

  async function loadState(trx: Tx, callId: string, conversationKind: ConversationKind): Promise<CallState> {
    const call = await repo.findCall(trx, callId);
    if (!call) throw callNotFound();
    return { call, participants: await repo.participantsOf(trx, [callId]), conversationKind };
  }

  function toCall(state: Pick<CallState, 'call' | 'participants'>): Call {
    const { call } = state;
    return {
      id: call.id,
      conversationId: call.conversation_id,
      kind: call.kind,
      mode: call.mode,
      state: call.state,
      callerId: call.caller_id,
      createdAt: iso(call.created_at),
      ringExpiresAt: iso(call.ring_expires_at),
      answeredAt: isoOrNull(call.answered_at),
      endedAt: isoOrNull(call.ended_at),
      endReason: call.end_reason,
      participants: state.participants.map((p) => ({ userId: p.user_id, state: p.state, joinedAt: isoOrNull(p.joined_at) })),
    };
  }

  const participant = (state: CallState, userId: string) => state.participants.find((p) => p.user_id === userId);
  const joined = (state: CallState) => state.participants.filter((p) => p.state === 'joined');

  async function setParticipant(trx: Tx, state: CallState, row: CallParticipantsTable): Promise<void> {
    const index = state.participants.findIndex((p) => p.user_id === row.user_id);
    await repo.upsertParticipant(trx, row, index >= 0);
    if (index >= 0) state.participants[index] = row;
    else state.participants.push(row);
  }

  function ring(state: CallState, userIds: readonly string[], now: number): Effect {
    return () => {
      // Who is in it, not everyone rung: the frame stays small however large the group (`call.started` lists who was rung).
      const call = toCall({ call: state.call, participants: joined(state) });
      const frame: CallRingFrame = { t: 'call_ring', call, expiresInMs: Math.max(0, state.call.ring_expires_at - now) };
      for (const userId of userIds) ephemeral.toUser(userId, frame);
      const { id, conversation_id: conversationId, caller_id: callerId, kind, ring_expires_at: expiresAt } = state.call;
      // Devices with the app closed hear it by push (awaited, so a stop that follows finds it; a failure is logged by `run`, the call stands).
      return ringPush?.ring({ callId: id, conversationId, callerId, kind, userIds, expiresAt }).then(() => {});
    };
  }

  function stopRinging(call: CallsTable, userIds: readonly string[], reason: CallRingStopFrame['reason']): Effect {
    return () => {
      const frame: CallRingStopFrame = { t: 'call_ring_stop', callId: call.id, conversationId: call.conversation_id, reason };
      for (const userId of userIds) ephemeral.toUser(userId, frame);
      return ringPush?.stop(call.id, call.conversation_id, userIds, reason);
    };
  }

  /** Those still rung missed it: one event for all of them, and their devices stop ringing. */
  async function markMissed(trx: Tx, changes: ChangeSet, after: Effect[], state: CallState, reason: 'no_answer' | 'cancelled' | 'caller_gone' | 'busy', now: number): Promise<void> {
    const invited = state.participants.filter((p) => p.state === 'invited');
    if (invited.length === 0) return;
    for (const p of invited) await setParticipant(trx, state, { ...p, state: 'missed' });
    const userIds = invited.map((p) => p.user_id);
    await appendEvent(trx, changes, { conversationId: state.call.conversation_id, type: 'call.missed', actorId: null, data: { callId: state.call.id, userIds, reason }, now });
    after.push(stopRinging(state.call, userIds, 'missed'));
  }

  /** Ends the call for everyone: who was still rung missed it, who was in is out, then `call.ended`. */
  async function finish(trx: Tx, changes: ChangeSet, after: Effect[], state: CallState, reason: CallEndReason, actorId: string | null, now: number): Promise<void> {
    const missedReason = reason === 'cancelled' || reason === 'caller_gone' || reason === 'busy' ? reason : 'no_answer';
    await markMissed(trx, changes, after, state, missedReason, now);
    for (const p of joined(state)) await setParticipant(trx, state, { ...p, state: 'left', left_at: now, disconnected_at: null });
    const { call } = state;
    const patch = { state: 'ended' as const, ended_at: now, end_reason: reason };
    await repo.updateCall(trx, call.id, patch);
    Object.assign(call, patch);
    const durationMs = call.answered_at === null ? 0 : Math.max(0, now - call.answered_at);
    await appendEvent(trx, changes, { conversationId: call.conversation_id, type: 'call.ended', actorId, data: { callId: call.id, reason, durationMs, answered: call.answered_at !== null }, now });
    const room = call.room;
    if (room && media) after.push(() => media.deleteRoom(room));
  }

  /** Takes someone out of the call, then ends it if that was the end of it (1:1: either side; else the last one out). */
  async function removeFromCall(trx: Tx, changes: ChangeSet, after: Effect[], state: CallState, userId: string, reason: CallLeaveReason, actorId: string | null, now: number): Promise<void> {
    const p = participant(state, userId);
    if (!p || p.state !== 'joined') return;
    await setParticipant(trx, state, { ...p, state: 'left', left_at: now, disconnected_at: null });
    await appendEvent(trx, changes, { conversationId: state.call.conversation_id, type: 'call.left', actorId, data: { callId: state.call.id, userId, reason }, now });
    const room = state.call.room;
    if (room && media && reason !== 'media_left') after.push(() => media.removeParticipant(room, userId));
    if (state.call.state === 'ringing') {
      // Nobody answered yet: the caller leaving is hanging up on the ring.
      if (joined(state).length === 0) await finish(trx, changes, after, state, reason === 'disconnected' ? 'caller_gone' : 'cancelled', actorId, now);
    } else if (state.conversationKind === 'direct' || joined(state).length === 0) {
      await finish(trx, changes, after, state, 'hangup', actorId, now);
    }
  }

  /**
   * What stored timestamps say has happened by `now`: the ring ran out (who was rung missed
   * it; a call nobody answered ends), devices gone past the grace left.
   */
  async function settle(trx: Tx, changes: ChangeSet, after: Effect[], state: CallState, now: number): Promise<void> {
    if (state.call.state === 'ended') return;
    if (state.call.ring_expires_at <= now && state.participants.some((p) => p.state === 'invited')) {
      if (state.call.state === 'ringing') await finish(trx, changes, after, state, 'no_answer', null, now);
      else await markMissed(trx, changes, after, state, 'no_answer', now);
    }
    const goneBefore = now - config.reconnectGraceMs;
    for (const p of joined(state)) {
      // Read through the object: removing one participant may have ended the call.
      if ((state.call as { state: string }).state === 'ended') break;
      if (p.disconnected_at !== null && p.disconnected_at <= goneBefore) await removeFromCall(trx, changes, after, state, p.user_id, 'disconnected', null, now);
    }
  }

  /** Loads a call under its conversation's lock for a member allowed `action`, settled as of now. */
  async function lockedForMember(trx: Tx, changes: ChangeSet, after: Effect[], actor: Actor, callId: string, action: MemberAction, now: number) {
    // Read on the transaction: the embedded store has one connection, which the transaction holds.
    const head = await repo.findCall(trx, callId);
    if (!head) throw callNotFound();
    const granted = await access(trx, actor.userId, head.conversation_id, action, { now, lock: db.dialect });
    const state = await loadState(trx, callId, granted.membership.kind);
    await settle(trx, changes, after, state, now);
    return { state, granted };
  }

  /** The same for the system (sweep, webhooks, removals): no actor, just the lock. */
  async function lockedForSystem(trx: Tx, changes: ChangeSet, after: Effect[], callId: string, now: number): Promise<CallState | null> {
    const head = await repo.findCall(trx, callId);
    if (!head) return null;
    const conversation = await lockConversation(trx, db.dialect, head.conversation_id);
    if (!conversation) return null;
    const state = await loadState(trx, callId, conversation.kind);
    await settle(trx, changes, after, state, now);
    return state;
  }

  async function mediaFor(state: Pick<CallState, 'call'>, userId: string, canPublish: boolean, now: number): Promise<CallMedia> {
    const { call } = state;
    if (call.mode === 'sfu' && call.room && media) {
      const joinInfo = await media.join(call.room, userId, { canPublish }, now);
      if (media.name === 'janus') return { type: 'janus', url: joinInfo.url, room: call.room, token: joinInfo.token, display: userId, canPublish, expiresAt: isoOrNull(joinInfo.expiresAt) };
      return { type: 'livekit', url: joinInfo.url, room: call.room, token: joinInfo.token, canPublish, expiresAt: iso(joinInfo.expiresAt ?? now) };
    }
    const { iceServers, expiresAt } = iceServersFor(config, userId, now);
    return { type: 'p2p', iceServers, expiresAt: isoOrNull(expiresAt) };
  }

  async function requireFree(trx: Tx, userId: string, callId: string | null): Promise<void> {
    if (await repo.inAnotherCall(trx, userId, callId)) throw new AppError('call_busy', 'You are already in another call: leave it first.');
  }

  /** Answering a call that rings for you, or joining one going on (or coming back to it). */
  async function enter(actor: Actor, callId: string, answering: boolean): Promise<CallJoinResponse> {
    const now = clock();
    const outcome = await run(async (trx, changes, after) => {
      const { state, granted } = await lockedForMember(trx, changes, after, actor, callId, 'call.join', now);
      const { call } = state;
      if (call.state === 'ended') return { state, canPublish: false, ended: true };
      const device = actor.sessionId;
      const mine = participant(state, actor.userId);
      if (mine?.state === 'joined') {
        // The same device asking again gets the same answer; another device lost the race.
        if (mine.device === device) return { state, canPublish: granted.facts.membership!.rights.has('start_calls'), ended: false };
        throw new AppError('conflict', answering ? 'This call was answered on another of your devices.' : 'You are in this call on another device.');
      }
      await requireFree(trx, actor.userId, call.id);
      if (call.mode === 'sfu' && media?.name === 'janus' && !granted.facts.membership!.rights.has('start_calls')) {
        // Janus admits or refuses a token, with no publish grant: listening only cannot be enforced, so nobody without the right is let in.
        throw new AppError('forbidden', 'You may not take part in calls here (listening only needs the LiveKit media backend).');
      }
      if (call.mode === 'p2p') {
        const most = state.conversationKind === 'direct' ? 2 : config.meshMaxParticipants;
        if (joined(state).length >= most) throw new AppError('limit_exceeded', `This call is full (${most} people peer to peer).`, { limit: most });
      }
      const wasRung = mine?.state === 'invited';
      await setParticipant(trx, state, { call_id: call.id, user_id: actor.userId, state: 'joined', device, joined_at: now, left_at: null, disconnected_at: null });
      if (call.state === 'ringing' && actor.userId !== call.caller_id) {
        await repo.updateCall(trx, call.id, { state: 'active', answered_at: now });
        Object.assign(call, { state: 'active', answered_at: now });
      }
      await appendEvent(trx, changes, { conversationId: call.conversation_id, type: 'call.joined', actorId: actor.userId, data: { callId: call.id, userId: actor.userId }, now });
      if (wasRung) after.push(stopRinging(call, [actor.userId], 'answered_elsewhere'));
      return { state, canPublish: granted.facts.membership!.rights.has('start_calls'), ended: false };
    });
    if (outcome.ended) throw callEnded();
    return { call: toCall(outcome.state), media: await mediaFor(outcome.state, actor.userId, outcome.canPublish, now) };
  }

  async function sweep(): Promise<number> {
    const now = clock();
    const ids = await repo.dueCalls(kysely, now, now - config.reconnectGraceMs, SWEEP_BATCH);
    for (const id of ids) {
      await run(async (trx, changes, after) => {
        await lockedForSystem(trx, changes, after, id, now);
      }).catch((error: unknown) => logger.warn({ err: error, call: id }, 'settling a call failed; the next sweep retries'));
    }
    return ids.length;
  }

  /** A verified event from the media backend: who is really in the room. */
  async function mediaEvent(event: MediaEvent): Promise<void> {
    const head = await repo.findCallByRoom(kysely, event.room);
    if (!head) return;
    const now = clock();
    await run(async (trx, changes, after) => {
      const state = await lockedForSystem(trx, changes, after, head.id, now);
      if (!state || state.call.state === 'ended') {
        // Someone in the room of a call that is over (or nobody's): the room goes.
        if (event.type === 'participant_joined' && media) after.push(() => media.deleteRoom(event.room));
        return;
      }
      if (event.type === 'room_finished') {
        await finish(trx, changes, after, state, 'media_ended', null, now);
        return;
      }
      const p = participant(state, event.identity);
      if (event.type === 'participant_joined') {
        // Only who Parley let in may stay; anyone else holding a token is put out.
        if (p?.state !== 'joined') {
          if (media) after.push(() => media.removeParticipant(event.room, event.identity));
        } else if (p.disconnected_at !== null) {
          await setParticipant(trx, state, { ...p, disconnected_at: null });
        }
        return;
      }
      await removeFromCall(trx, changes, after, state, event.identity, 'media_left', null, now);
    });
  }

  let sweeper: NodeJS.Timeout | null = null;
  /** The sweep running now, if any: one at a time, and `stop` waits for it. */
  let sweeping: Promise<void> | null = null;

  return {
    toCall,

    async start(actor: Actor, conversationId: string, kind: CallKind): Promise<CallJoinResponse> {
      const now = clock();
      const outcome = await run(async (trx, changes, after) => {
        const { membership, facts } = await access(trx, actor.userId, conversationId, 'call.start', { now, lock: db.dialect });
        const conversationKind = membership.kind;
        if (conversationKind === 'channel' && !media) throw new AppError('conflict', 'Calls in channels need a media backend, and this server has none (LIVEKIT_URL or JANUS_URL).');
        const existing = await repo.activeCallIn(trx, conversationId);
        if (existing) {
          const state = await loadState(trx, existing.id, conversationKind);
          await settle(trx, changes, after, state, now);
          if (state.call.state !== 'ended') throw new AppError('conflict', 'A call is already going on here: join it.', { callId: existing.id });
        }
        await requireFree(trx, actor.userId, null);
        let callees: string[] = [];
        if (conversationKind !== 'channel') {
          const others = await repo.otherMembers(trx, conversationId, actor.userId, config.maxRing + 1);
          // Past CALL_MAX_RING nobody is rung: a large group sees `call.started` and joins if it wants.
          if (others.length <= config.maxRing) {
            const blocked = conversationKind === 'direct' ? new Set<string>() : await repo.blockedWith(trx, actor.userId, others);
            callees = others.filter((userId) => !blocked.has(userId));
          }
        }
        const mode = conversationKind === 'direct' || !media ? 'p2p' : 'sfu';
        const id = newId(now);
        const call: CallsTable = {
          id,
          conversation_id: conversationId,
          kind,
          mode,
          state: 'ringing',
          caller_id: actor.userId,
          caller_device: actor.sessionId,
          created_at: now,
          ring_expires_at: now + config.ringTimeoutMs,
          answered_at: null,
          ended_at: null,
          end_reason: null,
          room: mode === 'sfu' ? `parley-${id}` : null,
        };
        const participants: CallParticipantsTable[] = [
          { call_id: id, user_id: actor.userId, state: 'joined', device: actor.sessionId, joined_at: now, left_at: null, disconnected_at: null },
          ...callees.map((userId): CallParticipantsTable => ({ call_id: id, user_id: userId, state: 'invited', device: null, joined_at: null, left_at: null, disconnected_at: null })),
        ];
        await repo.insertCall(trx, call, participants);
        const state: CallState = { call, participants, conversationKind };
        await appendEvent(trx, changes, { conversationId, type: 'call.started', actorId: actor.userId, data: { callId: id, kind, mode, callerId: actor.userId, invitedUserIds: callees }, now });
        const room = call.room;
        if (room && media) after.push(() => media.createRoom(room, { maxParticipants: MAX_ROOM_PARTICIPANTS }));
        const peer = callees[0];
        if (conversationKind === 'direct' && peer && (await repo.inAnotherCall(trx, peer, id))) {
          // The callee is in another call: they see a missed call, the caller hears busy.
          await setParticipant(trx, state, { ...participants[1]!, state: 'busy' });
          await appendEvent(trx, changes, { conversationId, type: 'call.missed', actorId: null, data: { callId: id, userIds: [peer], reason: 'busy' }, now });
          await finish(trx, changes, after, state, 'busy', null, now);
        } else if (callees.length > 0) {
          after.push(ring(state, callees, now));
        }
        return { state, canPublish: facts.membership!.rights.has('start_calls') };
      });
      const { state } = outcome;
      return { call: toCall(state), media: state.call.state === 'ended' ? null : await mediaFor(state, actor.userId, outcome.canPublish, now) };
    },

    accept(actor: Actor, callId: string): Promise<CallJoinResponse> {
      return enter(actor, callId, true);
    },

    join(actor: Actor, callId: string): Promise<CallJoinResponse> {
      return enter(actor, callId, false);
    },

    async decline(actor: Actor, callId: string): Promise<Call> {
      const now = clock();
      const state = await run(async (trx, changes, after) => {
        const { state } = await lockedForMember(trx, changes, after, actor, callId, 'conversation.view', now);
        // Over already (perhaps settled just now): the settling commits, the answer says so.
        if (state.call.state === 'ended') return { state, over: true };
        const mine = participant(state, actor.userId);
        if (mine?.state !== 'invited') throw new AppError('conflict', 'This call is not ringing for you.');
        await setParticipant(trx, state, { ...mine, state: 'declined' });
        await appendEvent(trx, changes, { conversationId: state.call.conversation_id, type: 'call.declined', actorId: actor.userId, data: { callId, userId: actor.userId }, now });
        after.push(stopRinging(state.call, [actor.userId], 'declined_elsewhere'));
        // 1:1: the call is over. A group call that nobody answered ends once nobody is left to answer it.
        const nobodyLeft = state.call.state === 'ringing' && !state.participants.some((p) => p.state === 'invited');
        if (state.conversationKind === 'direct' || nobodyLeft) await finish(trx, changes, after, state, 'declined', actor.userId, now);
        return { state, over: false };
      });
      if (state.over) throw callEnded();
      return toCall(state.state);
    },

    async leave(actor: Actor, callId: string): Promise<Call> {
      const now = clock();
      const state = await run(async (trx, changes, after) => {
        const { state } = await lockedForMember(trx, changes, after, actor, callId, 'conversation.view', now);
        if (state.call.state === 'ended') return null;
        if (participant(state, actor.userId)?.state !== 'joined') throw new AppError('not_in_call', 'You are not in this call.');
        await removeFromCall(trx, changes, after, state, actor.userId, 'left', actor.userId, now);
        return state;
      });
      if (!state) throw callEnded();
      return toCall(state);
    },

    async end(actor: Actor, callId: string): Promise<Call> {
      const now = clock();
      const head = await repo.findCall(kysely, callId);
      // The caller ends their own call; anyone else needs `call.end` (the other side of a 1:1 call, a moderator).
      const action: MemberAction = head?.caller_id === actor.userId ? 'conversation.view' : 'call.end';
      const state = await run(async (trx, changes, after) => {
        const { state } = await lockedForMember(trx, changes, after, actor, callId, action, now);
        if (state.call.state === 'ended') return null;
        const ringing = state.call.state === 'ringing';
        // A callee "ending" a 1:1 call that rings for them is declining it.
        if (ringing && participant(state, actor.userId)?.state === 'invited') {
          await setParticipant(trx, state, { ...participant(state, actor.userId)!, state: 'declined' });
          await appendEvent(trx, changes, { conversationId: state.call.conversation_id, type: 'call.declined', actorId: actor.userId, data: { callId, userId: actor.userId }, now });
          after.push(stopRinging(state.call, [actor.userId], 'declined_elsewhere'));
          await finish(trx, changes, after, state, 'declined', actor.userId, now);
        } else {
          await finish(trx, changes, after, state, ringing ? 'cancelled' : 'hangup', actor.userId, now);
        }
        return state;
      });
      if (!state) throw callEnded();
      return toCall(state);
    },

    async get(actor: Actor, callId: string): Promise<Call> {
      const now = clock();
      const head = await repo.findCall(kysely, callId);
      if (!head) throw callNotFound();
      await access(kysely, actor.userId, head.conversation_id, 'conversation.view', { now });
      const due = head.state !== 'ended' && head.ring_expires_at <= now;
      if (due) {
        // Read as of now: a ring that ran out is settled first (its events written), not shown as ringing.
        const state = await run((trx, changes, after) => lockedForMember(trx, changes, after, actor, callId, 'conversation.view', now).then((locked) => locked.state));
        return toCall(state);
      }
      return toCall({ call: head, participants: await repo.participantsOf(kysely, [callId]) });
    },

    async mine(actor: Actor): Promise<Call[]> {
      const now = clock();
      const calls = await repo.callsOfUser(kysely, actor.userId);
      const participants = await repo.participantsOf(kysely, calls.map((call) => call.id));
      return calls
        .map((call) => toCall({ call, participants: participants.filter((p) => p.call_id === call.id) }))
        // A ring that ran out (and is waiting for the sweep) no longer rings.
        .filter((call) => call.participants.some((p) => p.userId === actor.userId && (p.state === 'joined' || Date.parse(call.ringExpiresAt) > now)));
    },

    async media(actor: Actor, callId: string): Promise<CallMedia> {
      const now = clock();
      const head = await repo.findCall(kysely, callId);
      if (!head) throw callNotFound();
      const granted = await access(kysely, actor.userId, head.conversation_id, 'call.join', { now });
      if (head.state === 'ended') throw callEnded();
      const mine = (await repo.participantsOf(kysely, [callId])).find((p) => p.user_id === actor.userId);
      if (mine?.state !== 'joined') throw new AppError('not_in_call', 'You are not in this call.');
      return mediaFor({ call: head }, actor.userId, granted.facts.membership!.rights.has('start_calls'), now);
    },

    /**
     * Relays an offer, answer or ICE candidate to another participant's device in the call.
     * Both must be in the call (the sender on this device); nothing is stored.
     */
    async signal(actor: Actor, callId: string, to: string, signal: CallSignal): Promise<void> {
      await drawSignal(actor.userId);
      const notIn = (message: string) => new AppError('not_in_call', message);
      if (to === actor.userId) throw notIn('Signal another participant, not yourself.');
      const { call, sender, target } = await repo.signalingPair(kysely, callId, actor.userId, to);
      // Outsiders learn nothing more than "not in this call", whether the call exists or not.
      if (!call || sender?.state !== 'joined') throw notIn('You are not in this call.');
      if (call.state === 'ended') throw callEnded();
      if (sender.device !== null && sender.device !== actor.sessionId) throw notIn('You are in this call on another device.');
      if (target?.state !== 'joined') throw notIn('They are not in this call.');
      if (call.mode !== 'p2p') throw new AppError('conflict', 'This call\'s media goes through the media backend: there is nothing to signal.');
      const frame: CallSignalFrame = { t: 'call_signal', callId, from: actor.userId, fromDevice: actor.sessionId, signal };
      if (target.device) ephemeral.toDevice(to, target.device, frame);
      else ephemeral.toUser(to, frame);
    },

    /** A socket closed: a call ringing from that device stops (the caller is gone); calls it is in start their grace. */
    async deviceGone(userId: string, device: string | null): Promise<void> {
      if (!device) return;
      const now = clock();
      for (const id of await repo.ringingFromDevice(kysely, userId, device)) {
        await run(async (trx, changes, after) => {
          const state = await lockedForSystem(trx, changes, after, id, now);
          if (state?.call.state === 'ringing' && state.call.caller_device === device) {
            const caller = participant(state, userId);
            if (caller) await setParticipant(trx, state, { ...caller, state: 'left', left_at: now });
            await finish(trx, changes, after, state, 'caller_gone', null, now);
          }
        });
      }
      await repo.markDevice(kysely, userId, device, now);
    },

    /** A socket of that device is back: its calls are no longer counting down to `disconnected`. */
    async deviceBack(userId: string, device: string | null): Promise<void> {
      if (device) await repo.markDevice(kysely, userId, device, null);
    },

    /** Kicked or banned (or left): out of the conversation's call, and out of its media room. */
    async memberRemoved(conversationId: string, userId: string): Promise<void> {
      const now = clock();
      for (const id of await repo.activeCallsWith(kysely, conversationId, userId)) {
        await run(async (trx, changes, after) => {
          const state = await lockedForSystem(trx, changes, after, id, now);
          if (!state || state.call.state === 'ended') return;
          const p = participant(state, userId);
          if (p?.state === 'invited') {
            await setParticipant(trx, state, { ...p, state: 'left', left_at: now });
            after.push(stopRinging(state.call, [userId], 'ended'));
          } else {
            await removeFromCall(trx, changes, after, state, userId, 'removed', null, now);
          }
        });
      }
    },

    /** A block between two people ends the direct calls between them. */
    async blocked(userId: string, otherId: string): Promise<void> {
      const now = clock();
      for (const id of await repo.activeCallsBetween(kysely, userId, otherId)) {
        await run(async (trx, changes, after) => {
          const state = await lockedForSystem(trx, changes, after, id, now);
          if (state && state.call.state !== 'ended') await finish(trx, changes, after, state, 'removed', userId, now);
        });
      }
    },

    mediaEvent,

    /** Verifies a media backend's webhook and acts on it. */
    async receiveWebhook(body: string, authorization: string | undefined): Promise<void> {
      // Only LiveKit sends webhooks (Janus has none that verify).
      if (media?.name !== 'livekit') throw new AppError('not_found', 'No LiveKit media backend is configured.');
      let event: MediaEvent | null;
      try {
        event = await media.receiveWebhook(body, authorization);
      } catch (error) {
        logger.info({ err: error }, 'refused a media webhook');
        throw new AppError('unauthorized', 'The webhook signature does not verify.');
      }
      if (event) await mediaEvent(event);
    },

    /** Settles what is due now (rings run out, devices gone past the grace); returns how many calls it looked at. */
    sweep,

    startSweeper(): void {
      if (sweeper) return;
      sweeper = setInterval(() => {
        sweeping ??= sweep()
          .then(() => {}, (error: unknown) => logger.warn({ err: error }, 'call sweep failed'))
          .finally(() => {
            sweeping = null;
          });
      }, config.sweepIntervalMs);
      sweeper.unref();
    },

    /** No more sweeps; resolves once the one running (if any) is done, before the stores it uses close. */
    async stop(): Promise<void> {
      if (sweeper) clearInterval(sweeper);
      sweeper = null;
      await sweeping;
    },
  };
}
