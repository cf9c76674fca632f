import type { ConversationEvent, EventFrame, UserEventFrame } from '@parley/protocol';
import type { Broker } from '../platform/broker/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { ChangeSet, Publisher } from '../modules/logs/index.ts';
import type { EphemeralPublisher } from '../platform/ephemeral.ts';
import { noTracing, type Tracing } from '../platform/tracing/index.ts';
import { serializedOnce, stringify } from './shared-json.ts';
import { type ConversationHeader, conversationChannel, type EphemeralHeader, encodeEnvelope, presenceChannel, type UserHeader, userChannel } from './envelope.ts';

export interface PublisherOptions {
  /**
   * Membership events of conversations with at least this many members (after the change)
   * are marked for coalescing (header `q`): pushing each join to every member online makes
   * filling a large group quadratic. 0: never.
   */
  coalesceMembersAt: number;
  /** Carries the publish's trace context in the envelope when tracing is on. */
  tracing?: Tracing;
}

/**
 * Turns committed changes into broker messages: each event serialized once, here, for
 * every recipient on every node. A failed publish is logged and otherwise ignored:
 * clients find the event in the log when they notice the gap.
 */
export function createPublisher(broker: Broker, logger: Logger, options: PublisherOptions = { coalesceMembersAt: 0 }): Publisher {
  const { coalesceMembersAt, tracing = noTracing } = options;
  // During a broker outage every publish fails: one log line per interval, with a count.
  let failures = 0;
  let lastReport = 0;
  const publish = (channel: string, message: string) => {
    broker.publish(channel, message).catch((error: unknown) => {
      failures++;
      const now = Date.now();
      if (now - lastReport < 5_000) return;
      logger.warn({ err: error, failures }, 'publishing failed; clients will catch up from the logs');
      lastReport = now;
      failures = 0;
    });
  };

  const publishAll = (changes: ChangeSet, tp: string | undefined) => {
    // One reading for the whole change set: the publish time fan-out latency is measured from.
    const t = Date.now();
    for (const { event, subscribe, unsubscribe, memberCount } of changes.conversationEvents) {
      const header: ConversationHeader = { k: 'c', s: event.seq, t };
      if (tp) header.tp = tp;
      if (subscribe.length) header.sub = [...subscribe];
      if (unsubscribe.length) header.unsub = [...unsubscribe];
      if (memberCount !== undefined && coalesceMembersAt > 0 && memberCount >= coalesceMembersAt) header.q = memberCount;
      const frame: EventFrame = { t: 'event', event: withSharedMessage(event) };
      publish(conversationChannel(event.conversationId), encodeEnvelope(header, stringify(frame)));
    }
    for (const { userId, event, membership } of changes.userEvents) {
      const header: UserHeader = { k: 'u', s: event.seq, t };
      if (tp) header.tp = tp;
      if (membership) header.m = { c: membership.conversationId, s: membership.seq, on: membership.member };
      const frame: UserEventFrame = { t: 'user_event', event };
      publish(userChannel(userId), encodeEnvelope(header, JSON.stringify(frame)));
    }
    for (const control of changes.controls) {
      publish(userChannel(control.userId), encodeEnvelope({ k: 'x', close: { code: control.closeCode, reason: control.reason, session: control.sessionId } }));
    }
  };

  if (!tracing.enabled) return (changes) => publishAll(changes, undefined);
  // A span for handing the change set to the broker; its traceparent rides in every header, so
  // each node's delivery of these events is a child of it, in the trace of the request that made them.
  return (changes) => tracing.span('broker publish', {
    'messaging.operation.type': 'publish',
    'parley.events': changes.conversationEvents.length + changes.userEvents.length,
  }, () => publishAll(changes, tracing.traceparent()));
}

/** A message event with its message serialized once for the event and the sender's ack (shared-json.ts); any other as it is. */
function withSharedMessage(event: ConversationEvent): ConversationEvent {
  const data = event.data as { message?: object };
  if (data.message === undefined) return event;
  return { ...event, data: { ...data, message: serializedOnce(data.message) } } as ConversationEvent;
}

/**
 * Ephemeral frames: serialized once, published without waiting, failures only counted
 * and logged now and then (nothing of this is stored, so nothing can be caught up on).
 */
export function createEphemeralPublisher(broker: Broker, logger: Logger, onPublish: (kind: string) => void = () => {}): EphemeralPublisher {
  let failures = 0;
  let lastReport = 0;
  const publish = (channel: string, header: EphemeralHeader, frame: object | null) => {
    onPublish(frame ? String((frame as { t?: unknown }).t) : 'recheck');
    broker.publish(channel, encodeEnvelope(header, frame ? JSON.stringify(frame) : '')).catch((error: unknown) => {
      failures++;
      if (Date.now() - lastReport < 5_000) return;
      logger.warn({ err: error, failures }, 'publishing an ephemeral frame failed');
      lastReport = Date.now();
      failures = 0;
    });
  };
  return {
    toConversation(conversationId, frame, exceptUserId) {
      publish(conversationChannel(conversationId), exceptUserId ? { k: 'e', x: exceptUserId } : { k: 'e' }, frame);
    },
    toUser(userId, frame) {
      publish(userChannel(userId), { k: 'e' }, frame);
    },
    toDevice(userId, device, frame) {
      publish(userChannel(userId), { k: 'e', d: device }, frame);
    },
    toPresenceWatchers(userId, frame) {
      publish(presenceChannel(userId), frame ? { k: 'e' } : { k: 'e', r: 1 }, frame);
    },
  };
}
