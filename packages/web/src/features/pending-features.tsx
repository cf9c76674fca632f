/**
 * Extension points for features the server does not have yet. Each renders nothing
 * today, and is already placed where its feature belongs in the UI, with the props it
 * will need, so landing a feature is: fill in the component, add what it needs to the
 * SDK (an HttpApi call, store state for its events), and a browser test.
 *
 * Nothing here fakes a feature: no local-only reactions, no invented presence.
 *
 * Waiting on issue 3 (governance):
 *   - ChannelCreate        create a channel (kind: 'channel') next to "New group"
 *   - JoinByHandle         find a public group/channel by handle, preview, join
 *   - JoinByInvite         the /join/<code> route: preview an invite and join
 *   - InviteLinks          create / list / revoke invite links (members panel)
 *   - MemberModeration     mute, ban, promote/demote, transfer (members panel, per member)
 *   - PinnedBar            pinned messages above the history (Conversation.pinnedMessageIds)
 *   - MessageReactions     reaction chips under a message (Message.reactions) and the picker
 *   - BlockAndReport       block a user, report a message/user/conversation
 *   - PrivacySettings      who may add me to groups (GET/PATCH settings)
 *
 * Waiting on issue 4 (receipts, typing, presence, devices):
 *   - ReadTicks            delivered/read marks on own messages
 *   - TypingIndicator      "Alice is typing…" above the composer, and its reporter
 *   - PresenceDot          online dot on avatars and "last seen" in headers
 *   - DevicesSettings      list and revoke device sessions
 */
import type { Conversation, Member, Message } from '@parley/protocol';

type Slot<P> = (props: P) => React.ReactNode;

/** Issue 3: a "Channel" choice in the new-chat dialog. */
export const ChannelCreate: Slot<{ onCreated(conversationId: string): void }> = () => null;

/** Issue 3: look up a public group or channel by handle and join it. */
export const JoinByHandle: Slot<{ onJoined(conversationId: string): void }> = () => null;

/** Issue 3: invite links of a conversation (create, copy, revoke) for members with manage_invites. */
export const InviteLinks: Slot<{ conversation: Conversation }> = () => null;

/** Issue 3: mute, ban, change role, transfer ownership, as the viewer's rights allow. */
export const MemberModeration: Slot<{ conversation: Conversation; member: Member }> = () => null;

/** Issue 3: the pinned-message bar under the conversation header. */
export const PinnedBar: Slot<{ conversation: Conversation }> = () => null;

/** Issue 3: reaction chips under a message, and adding one. */
export const MessageReactions: Slot<{ conversation: Conversation; message: Message }> = () => null;

/** Issue 3: extra items for a message's action menu (react, pin, report, forward). */
export const MessageMenuExtras: Slot<{ conversation: Conversation; message: Message; close(): void }> = () => null;

/** Issue 3: block and report, in a direct conversation's header and on members. */
export const BlockAndReport: Slot<{ conversation: Conversation; userId: string }> = () => null;

/** Issue 3: who may add me to groups and channels. */
export const PrivacySettings: Slot<Record<string, never>> = () => null;

/** Issue 4: delivered/read marks on the viewer's own messages. */
export const ReadTicks: Slot<{ conversation: Conversation; message: Message }> = () => null;

/** Issue 4: who is typing, shown above the composer. */
export const TypingIndicator: Slot<{ conversationId: string }> = () => null;

/** Issue 4: tells the server the viewer is typing; called by the composer on input. */
export function reportTyping(_conversationId: string): void {}

/** Issue 4: an online dot on an avatar. */
export const PresenceDot: Slot<{ userId: string }> = () => null;

/** Issue 4: "online" / "last seen …" under a direct conversation's title. */
export const LastSeen: Slot<{ userId: string }> = () => null;

/** Issue 4: the viewer's device sessions, with revoke. */
export const DevicesSettings: Slot<Record<string, never>> = () => null;
