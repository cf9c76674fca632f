import type { Conversation } from '@parley/protocol';
import { Avatar } from '../../components/avatar.tsx';
import { BackIcon, MembersIcon } from '../../components/icons.tsx';
import { conversationTitle, handleOf, memberCountLabel } from '../../lib/format.ts';
import { navigate } from '../../lib/router.ts';
import { CallButtons } from '../calls/call-buttons.tsx';
import { LastSeen } from '../presence/last-seen.tsx';

/** Back to the list, who or what the conversation is (with the peer's presence), call buttons, and the details toggle. */
export function ConversationHeader({ conversation: summary, detailsOpen, onToggleDetails }: { conversation: Conversation; detailsOpen: boolean; onToggleDetails(): void }) {
  const title = conversationTitle(summary);
  const peer = summary.kind === 'direct' ? summary.peer : null;
  const subtitle = peer ? handleOf(peer) ?? '' : memberCountLabel(summary.kind, summary.memberCount);
  return (
    <header className="conversation-header">
      <button type="button" className="icon-button back-button" aria-label="Back to conversations" onClick={() => navigate('/')}>
        <BackIcon />
      </button>
      <Avatar id={peer ? peer.id : summary.id} name={title} picture={peer ? peer.avatarId : summary.photoId} />
      <div className="conversation-heading">
        <h2 className="conversation-name">{title}</h2>
        <p className="conversation-subtitle">
          {subtitle}
          {peer && <LastSeen userId={peer.id} />}
        </p>
      </div>
      <CallButtons conversation={summary} />
      <button
        type="button"
        className={`icon-button${detailsOpen ? ' active' : ''}`}
        aria-label={summary.kind === 'direct' ? 'Conversation details' : 'Members and settings'}
        aria-expanded={detailsOpen}
        onClick={onToggleDetails}
      >
        <MembersIcon />
      </button>
    </header>
  );
}
