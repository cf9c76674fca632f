import type { Conversation, Member } from '@parley/protocol';
import type { MembersScope } from '@parley/sdk';
import { Avatar } from '../../components/avatar.tsx';
import { useApp } from '../../hooks/context.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import { handleOf } from '../../lib/format.ts';
import { canAddMembers, canRemoveMember, roleLabel } from '../../lib/permissions.ts';
import { MemberModeration } from '../moderation/member-moderation.tsx';
import { PresenceDot } from '../presence/presence-dot.tsx';
import { AddMemberForm } from './add-member-form.tsx';
import './members.css';

const ROLE_ORDER = { owner: 0, admin: 1, moderator: 2, member: 3, subscriber: 4 } as const;

/**
 * A group's or channel's members, by role then name, with what the viewer may do to each;
 * removing is confirmed by the caller. A channel's subscribers are listed only to those the
 * server lists them to (`scope` "staff": the owner, admins and moderators, and the count).
 */
export function MemberList({ conversation, members, scope, onRemove }: { conversation: Conversation; members: ReadonlyMap<string, Member> | null; scope: MembersScope; onRemove(member: Member): void }) {
  const { client, users } = useApp();
  useUsersVersion(users);
  const meId = client.me?.id ?? null;
  const sorted = members ? [...members.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user.displayName.localeCompare(b.user.displayName)) : null;
  return (
    <div className="panel-section">
      <h3 id={`${conversation.id}-members`}>
        {conversation.kind === 'channel' ? 'Subscribers' : 'Members'} <span className="muted">({conversation.memberCount})</span>
      </h3>
      {canAddMembers(conversation) && <AddMemberForm conversationId={conversation.id} />}
      {scope === 'staff' && <p className="muted member-scope">Only the owner, admins and moderators are listed.</p>}
      {sorted === null ? (
        <p className="list-status">Loading members…</p>
      ) : sorted.length === 0 ? (
        <p className="list-status">No members.</p>
      ) : (
        <ul className="member-list" aria-labelledby={`${conversation.id}-members`}>
          {sorted.map((member) => {
            const user = users.get(member.userId) ?? member.user;
            const isMe = member.userId === meId;
            return (
              <li key={member.userId} className="member" data-user-id={member.userId}>
                <Avatar id={member.userId} name={user.displayName} size="sm" picture={user.avatarId} badge={<PresenceDot userId={member.userId} />} />
                <span className="member-text">
                  <span className="member-name">
                    {user.displayName}
                    {isMe && <span className="muted"> (you)</span>}
                  </span>
                  <span className="member-handle muted">{handleOf(user)}</span>
                </span>
                {member.role !== 'member' && member.role !== 'subscriber' && <span className={`role-badge role-${member.role}`}>{roleLabel(member.role)}</span>}
                <MemberModeration conversation={conversation} member={member} />
                {canRemoveMember(conversation, meId, member) && (
                  <button type="button" className="button button-small" aria-label={`Remove ${user.displayName}`} onClick={() => onRemove(member)}>
                    Remove
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
