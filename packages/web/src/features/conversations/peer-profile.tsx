import type { Conversation, User } from '@parley/protocol';
import { Avatar } from '../../components/avatar.tsx';
import { handleOf } from '../../lib/format.ts';
import { BlockAndReport } from '../moderation/block-and-report.tsx';
import { PresenceDot } from '../presence/presence-dot.tsx';

/** The other person of a direct conversation, with block and report. */
export function PeerProfile({ conversation, peer }: { conversation: Conversation; peer: User }) {
  return (
    <div className="panel-section profile">
      <Avatar id={peer.id} name={peer.displayName} size="lg" picture={peer.avatarId} badge={<PresenceDot userId={peer.id} />} />
      <strong>{peer.displayName}</strong>
      <span className="muted">{handleOf(peer)}</span>
      <BlockAndReport conversation={conversation} userId={peer.id} />
    </div>
  );
}
