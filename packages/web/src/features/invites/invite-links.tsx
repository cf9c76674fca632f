import type { Conversation } from '@parley/protocol';
import { useId } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { describeError } from '../../lib/errors.ts';
import { canManageInvites } from '../../lib/permissions.ts';
import { InviteLinkForm } from './invite-link-form.tsx';
import { InviteLinkList } from './invite-link-list.tsx';
import { JoinRequestList } from './join-request-list.tsx';
import { useInviteAdmin } from './use-invite-admin.ts';
import './invites.css';

/** Runs an admin action on invites or requests, says when it failed, and reads the lists again either way. */
export type InviteAction = (what: string, action: () => Promise<unknown>) => Promise<void>;

/** A conversation's invite links (create, copy, revoke) and requests to join, for members with manage_invites. */
export function InviteLinks({ conversation }: { conversation: Conversation }) {
  const notify = useNotify();
  const allowed = canManageInvites(conversation);
  const conversationId = conversation.id;
  const { invites, requests, loadError, load } = useInviteAdmin(conversationId, allowed);
  const headingId = useId();

  if (!allowed) return null;

  const act: InviteAction = async (what, action) => {
    try {
      await action();
    } catch (failure) {
      notify(`Could not ${what}: ${describeError(failure)}`);
    }
    await load();
  };

  return (
    <div className="panel-section gov-invites">
      <h3 id={headingId}>Invite links</h3>
      <InviteLinkForm conversationId={conversationId} onCreated={load} />
      <FormError error={loadError} />
      {invites === null ? (
        !loadError && <p className="list-status">Loading links…</p>
      ) : invites.length === 0 ? (
        <p className="list-status">No active links.</p>
      ) : (
        <InviteLinkList conversationId={conversationId} invites={invites} labelledBy={headingId} act={act} />
      )}
      <JoinRequestList conversationId={conversationId} requests={requests} act={act} />
    </div>
  );
}
