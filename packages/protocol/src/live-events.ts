import type { ConversationEvent, LiveConversationEvent, LiveMessage, Message } from './entities.ts';

/**
 * Message events in `event` frames carry the message without what a recipient can restore
 * (see `LiveMessage`): fields equal to the event's own, nulls and empty lists. A frame is
 * serialized once and written to every member online, so each byte left out is saved once
 * per recipient. Both directions live here, next to each other, so they cannot drift apart.
 * No schema is imported: the SDK takes this at run time through `@parley/protocol/client`.
 */

const isMessageEvent = (event: { type: string }): boolean =>
  event.type === 'message.created' || event.type === 'message.edited' || event.type === 'message.deleted';

/** The event as an `event` frame carries it. Never changes its argument; non-message events are returned as they are. */
export function compactEvent(event: ConversationEvent): LiveConversationEvent {
  if (!isMessageEvent(event)) return event as LiveConversationEvent;
  const message = (event as Extract<ConversationEvent, { type: 'message.created' }>).data.message;
  // Key order as in `Message`, so a compacted frame reads like a full one with gaps.
  const live: LiveMessage = { id: message.id } as LiveMessage;
  if (message.conversationId !== event.conversationId) live.conversationId = message.conversationId;
  if (message.seq !== event.seq) live.seq = message.seq;
  if (message.senderId !== event.actorId) live.senderId = message.senderId;
  live.clientMsgId = message.clientMsgId;
  if (message.text !== null) live.text = message.text;
  if (message.replyTo !== null) live.replyTo = message.replyTo;
  if (message.createdAt !== event.createdAt) live.createdAt = message.createdAt;
  if (message.editedAt !== null) live.editedAt = message.editedAt;
  if (message.deletedAt !== null) live.deletedAt = message.deletedAt;
  if (message.forwardedFrom !== null) live.forwardedFrom = message.forwardedFrom;
  if (message.reactions.length > 0) live.reactions = message.reactions;
  if (message.attachments.length > 0) live.attachments = message.attachments;
  if (message.mentions.length > 0) live.mentions = message.mentions;
  return { ...event, data: { message: live } } as LiveConversationEvent;
}

/**
 * The event as the log holds it: every field a `LiveMessage` left out, put back. A full
 * message (from an older server, or a log read) passes through with the same values.
 * A message event whose sender cannot be restored (no `senderId` and a null `actorId`)
 * is not one this server sends; it is restored with what is there.
 */
export function expandEvent(event: LiveConversationEvent): ConversationEvent {
  if (!isMessageEvent(event)) return event as ConversationEvent;
  const live = (event as Extract<LiveConversationEvent, { type: 'message.created' }>).data.message;
  const message: Message = {
    id: live.id,
    conversationId: live.conversationId ?? event.conversationId,
    seq: live.seq ?? event.seq,
    senderId: live.senderId ?? event.actorId!,
    clientMsgId: live.clientMsgId,
    text: live.text ?? null,
    replyTo: live.replyTo ?? null,
    createdAt: live.createdAt ?? event.createdAt,
    editedAt: live.editedAt ?? null,
    deletedAt: live.deletedAt ?? null,
    forwardedFrom: live.forwardedFrom ?? null,
    reactions: live.reactions ?? [],
    attachments: live.attachments ?? [],
    mentions: live.mentions ?? [],
  };
  return { ...event, data: { message } } as ConversationEvent;
}
