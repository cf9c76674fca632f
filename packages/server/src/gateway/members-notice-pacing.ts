/**
 * How often a node tells the members of a large conversation that people joined or left
 * (`members_changed`, see the hub). Each notice is one frame to every member online on the
 * node, so a fixed interval would cost a node frames in proportion to the conversation's
 * size, every interval, for as long as people keep joining (10,000 members at one notice a
 * second: 10,000 frames a second for that conversation alone).
 */
export interface MembersNoticePacing {
  /** The shortest interval (MEMBER_EVENTS_COALESCE_MS): small conversations hear this often. */
  minMs: number;
  /** About the most notice frames one conversation costs a node per second (MEMBER_EVENTS_NOTICE_RATE). */
  perSecond: number;
  /** The longest interval, however large the conversation (MEMBER_EVENTS_COALESCE_MAX_MS): how stale a member count may get. */
  maxMs: number;
}

/**
 * The interval before the next notice of a conversation with `memberCount` members: member
 * count ÷ `perSecond` seconds, so that notices cost at most about `perSecond` frames a
 * second whatever the size, and never shorter than `minMs` nor longer than `maxMs` (the
 * floor wins if the two disagree). Nothing is lost by waiting: the changes are in the log,
 * and any later event of the conversation sends the notice at once, ahead of itself.
 */
export function membersNoticeDelay(memberCount: number, pacing: MembersNoticePacing): number {
  const spread = Math.ceil((Math.max(0, memberCount) * 1000) / pacing.perSecond);
  return Math.max(pacing.minMs, Math.min(pacing.maxMs, spread));
}

/** One notice a second, whatever the size: the pacing before MEMBER_EVENTS_NOTICE_RATE existed, for hubs built without one. */
export const FIXED_NOTICE_PACING: MembersNoticePacing = { minMs: 1000, perSecond: Number.POSITIVE_INFINITY, maxMs: 1000 };
