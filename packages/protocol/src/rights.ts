import Type, { type Static } from 'typebox';

/**
 * Granular rights inside a conversation. Which role holds which by default, and what
 * each allows, is in docs/permissions.md; the server's policy module decides.
 */
export const RightList = [
  'send_messages',
  'send_media',
  'send_links',
  'post',
  'add_members',
  'remove_members',
  'ban_members',
  'mute_members',
  'delete_messages',
  'pin_messages',
  'edit_info',
  'manage_invites',
  'manage_roles',
  'start_calls',
  'view_audit_log',
] as const;

export const Right = Type.Enum([...RightList]);
export type Right = (typeof RightList)[number];

export const Rights = Type.Array(Right, { uniqueItems: true, maxItems: RightList.length });

/** Roles from highest to lowest. Acting on another member needs a strictly higher role. */
export const RoleList = ['owner', 'admin', 'moderator', 'member', 'subscriber'] as const;
export const Role = Type.Enum([...RoleList]);
export type Role = (typeof RoleList)[number];

/** Roles one can be given (ownership moves only by transfer). */
export const AssignableRole = Type.Enum(['admin', 'moderator', 'member', 'subscriber']);
export type AssignableRole = Static<typeof AssignableRole>;

export const ConversationKind = Type.Enum(['direct', 'group', 'channel']);
export type ConversationKind = 'direct' | 'group' | 'channel';

/** Private: join by being added or by invite. Public: discoverable by handle, anyone not banned may join. */
export const Visibility = Type.Enum(['private', 'public']);
export type Visibility = 'private' | 'public';

/** Who may add me to groups and channels directly (anyone may still send me an invite link). */
export const AddPrivacy = Type.Enum(['everyone', 'contacts', 'nobody']);
export type AddPrivacy = 'everyone' | 'contacts' | 'nobody';
