import type { Member } from '@parley/protocol';
import { useEffect, useRef, useState } from 'react';
import { CloseIcon, ConfirmDialog } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion, useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle } from '../../lib/format.ts';
import { canLeave, canRename } from '../../lib/permissions.ts';
import { navigate } from '../../lib/router.ts';
import { ClearHistory } from '../inbox/clear-history.tsx';
import { InviteLinks } from '../invites/invite-links.tsx';
import { ConversationPhotoSettings } from '../media/picture-chooser.tsx';
import { MemberList } from '../members/member-list.tsx';
import { PeerProfile } from './peer-profile.tsx';
import { RenameForm } from './rename-form.tsx';

/** A conversation's details: the other person, or a group's title, members (with roles) and what the viewer may manage. */
export function ConversationDetails({ conversationId, onClose }: { conversationId: string; onClose(): void }) {
  const { client, users } = useApp();
  useStoreVersion(client, conversationId);
  useUsersVersion(users);
  const notify = useNotify();
  const panel = useRef<HTMLElement>(null);
  const [confirm, setConfirm] = useState<{ kind: 'remove'; member: Member } | { kind: 'leave' } | null>(null);
  const state = client.store.get(conversationId);

  useEffect(() => {
    panel.current?.querySelector<HTMLElement>('.panel-close')?.focus();
  }, []);
  const needsMembers = state !== undefined && state.members === null;
  useEffect(() => {
    if (needsMembers) client.loadMembers(conversationId).catch((error: unknown) => notify(`Could not load members: ${describeError(error)}`));
  }, [client, conversationId, needsMembers, notify]);

  if (!state) return null;
  const summary = state.summary;

  return (
    <aside
      ref={panel}
      className="details-panel"
      aria-label="Conversation details"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <header className="panel-header">
        <h2>{summary.kind === 'direct' ? 'Details' : summary.kind === 'channel' ? 'Channel' : 'Group'}</h2>
        <button type="button" className="icon-button panel-close" aria-label="Close details" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {summary.kind === 'direct' ? (
        summary.peer && <PeerProfile conversation={summary} peer={summary.peer} />
      ) : (
        <>
          <div className="panel-section">
            {canRename(summary) ? <RenameForm conversationId={conversationId} current={summary.title ?? ''} /> : <p className="panel-title">{conversationTitle(summary)}</p>}
            {canRename(summary) && <ConversationPhotoSettings conversationId={conversationId} current={summary.photoId} />}
          </div>
          <InviteLinks conversation={summary} />
          <MemberList conversation={summary} members={state.members} scope={state.membersScope} onRemove={(member) => setConfirm({ kind: 'remove', member })} />
          {canLeave(summary) && (
            <div className="panel-section">
              <button type="button" className="button button-danger-outline" onClick={() => setConfirm({ kind: 'leave' })}>
                Leave {summary.kind === 'channel' ? 'channel' : 'group'}
              </button>
            </div>
          )}
        </>
      )}
      <ClearHistory conversationId={conversationId} />
      <ConfirmDialog
        open={confirm !== null}
        title={confirm?.kind === 'remove' ? 'Remove member?' : `Leave ${conversationTitle(summary)}?`}
        message={confirm?.kind === 'remove' ? `${users.get(confirm.member.userId)?.displayName ?? confirm.member.user.displayName} will no longer see new messages here.` : 'You will stop receiving its messages. Someone will have to add you back.'}
        confirmLabel={confirm?.kind === 'remove' ? 'Remove' : 'Leave'}
        danger
        onClose={() => setConfirm(null)}
        onConfirm={() => {
          if (!confirm) return;
          if (confirm.kind === 'remove') {
            client.http.removeMember(conversationId, confirm.member.userId).catch((error: unknown) => notify(`Could not remove: ${describeError(error)}`));
          } else {
            client.http.leave(conversationId).then(
              () => navigate('/'),
              (error: unknown) => notify(`Could not leave: ${describeError(error)}`),
            );
          }
        }}
      />
    </aside>
  );
}
