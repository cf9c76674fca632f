import type { Invite } from '@parley/protocol';
import { useState } from 'react';
import { InlineConfirm } from '../../components/inline-confirm.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { formatDateTime } from '../../lib/format.ts';
import type { InviteAction } from './invite-links.tsx';
import { inviteUrl } from './invite-url.ts';
import '../../components/forms.css';
import './invites.css';

/** The active invite links: the link, its uses and limits, copy and revoke. */
export function InviteLinkList({ conversationId, invites, labelledBy, act }: { conversationId: string; invites: Invite[]; labelledBy: string; act: InviteAction }) {
  const { client } = useApp();
  const notify = useNotify();
  const [revoking, setRevoking] = useState<string | null>(null);

  const copy = async (code: string) => {
    try {
      await navigator.clipboard.writeText(inviteUrl(code));
      notify('Invite link copied.');
    } catch {
      notify('Could not copy: select the link and copy it yourself.');
    }
  };

  return (
    <ul className="gov-list" aria-labelledby={labelledBy}>
      {invites.map((invite) => (
        <li key={invite.code} className="gov-row gov-invite" data-code={invite.code}>
          <code className="gov-link">{inviteUrl(invite.code)}</code>
          <span className="muted gov-meta">
            {invite.uses} {invite.uses === 1 ? 'use' : 'uses'}
            {invite.maxUses !== null ? ` of ${invite.maxUses}` : ''}
            {invite.expiresAt ? ` · expires ${formatDateTime(invite.expiresAt)}` : ' · no expiry'}
            {invite.requiresApproval ? ' · needs approval' : ''}
          </span>
          {revoking === invite.code ? (
            <InlineConfirm
              message="Revoke this link? Nobody can join with it any more."
              confirmLabel="Revoke"
              onCancel={() => setRevoking(null)}
              onConfirm={() => {
                setRevoking(null);
                void act('revoke the link', () => client.http.revokeInvite(conversationId, invite.code));
              }}
            />
          ) : (
            <span className="gov-actions">
              <button type="button" className="button button-small" onClick={() => copy(invite.code)}>
                Copy link
              </button>
              <button type="button" className="button button-small button-danger-outline" onClick={() => setRevoking(invite.code)}>
                Revoke
              </button>
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
