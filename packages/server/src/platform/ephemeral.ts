/**
 * What modules push live without storing anything: typing, presence, receipts. Each
 * frame is serialized once and crosses nodes through the broker; whoever is not
 * connected (or not subscribed) at that moment never gets it, which is the point: none
 * of this is in a log. Implemented by the gateway (`createEphemeralPublisher`).
 */
export interface EphemeralPublisher {
  /** To every session subscribed to the conversation, on every node (its members online), except `exceptUserId`'s. */
  toConversation(conversationId: string, frame: object, exceptUserId?: string): void;
  /** To every session of one user. */
  toUser(userId: string, frame: object): void;
  /** To the sessions of one device session of a user (its `sessionId`): call signaling reaches the device in the call, not the others. */
  toDevice(userId: string, device: string, frame: object): void;
  /** To sessions that subscribed to this user's presence; `null`: ask them to check again whether they may see it. */
  toPresenceWatchers(userId: string, frame: object | null): void;
}
