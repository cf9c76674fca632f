import type { Conversation, Member, Role } from '@parley/protocol';
import { useEffect, useId, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/form-error.tsx';
import { InlineConfirm } from '../../components/inline-confirm.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { assignableRoles, canBan, canMute, canTransfer, roleLabel } from '../../lib/permissions.ts';
import { BlockAndReport } from './block-and-report.tsx';
import { type DurationOption, DurationSelect } from './duration-select.tsx';
import { isForever, mutedNow } from './mute-time.ts';
import '../../components/forms.css';
import './moderation.css';

const MUTE_OPTIONS: DurationOption[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '8 hours', seconds: 8 * 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: 'Forever', seconds: null },
];
const BAN_OPTIONS: DurationOption[] = [
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: 'Forever', seconds: null },
];

/** The destructive step waiting for its confirmation. */
type Pending = { kind: 'ban'; seconds: number | null; label: string } | { kind: 'transfer' } | null;

/**
 * A member row's "Manage" button and its dialog: mute, ban, change role, transfer ownership,
 * as the viewer's rights allow; block and report for everyone.
 */
export function MemberModeration({ conversation, member }: { conversation: Conversation; member: Member }) {
  const { client, users } = useApp();
  const notify = useNotify();
  const meId = client.me?.id ?? null;
  const [open, setOpen] = useState(false);
  const [mute, setMute] = useState('0');
  const [ban, setBan] = useState('0');
  const roles = assignableRoles(conversation, meId, member);
  const [role, setRole] = useState<Role>(member.role);
  const [confirm, setConfirm] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { mute: useId(), ban: useId(), role: useId() };
  useEffect(() => setRole(member.role), [member.role]);

  if (member.userId === meId) return null;
  const name = users.get(member.userId)?.displayName ?? member.user.displayName;
  const mayMute = canMute(conversation, meId, member);
  const mayBan = canBan(conversation, meId, member);
  const mayTransfer = canTransfer(conversation, meId, member);
  const moderates = mayMute || mayBan || roles.length > 0 || mayTransfer;

  const run = async (what: string, action: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      if (done) notify(done);
      return true;
    } catch (failure) {
      setError(`Could not ${what}: ${describeError(failure)}`);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const close = () => {
    setOpen(false);
    setConfirm(null);
    setError(null);
  };

  return (
    <>
      {mutedNow(member.mutedUntil) && <span className="gov-muted-badge">Muted</span>}
      <button type="button" className="button button-small" aria-label={`${moderates ? 'Manage' : 'Options for'} ${name}`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {moderates ? 'Manage' : '…'}
      </button>
      <Dialog title={`${name}`} open={open} onClose={close}>
        <p className="muted">
          {roleLabel(member.role)} in {conversation.title ?? 'this conversation'}
          {mutedNow(member.mutedUntil) ? ` · muted ${isForever(member.mutedUntil!) ? 'until unmuted' : `until ${formatDateTime(member.mutedUntil!)}`}` : ''}
        </p>
        <FormError error={error} />
        {confirm ? (
          <InlineConfirm
            message={
              confirm.kind === 'ban'
                ? `Ban ${name} ${confirm.seconds === null ? 'forever' : `for ${confirm.label}`}? They are removed and cannot come back, not even by an invite link.`
                : `Make ${name} the owner? You become an admin and cannot undo this yourself.`
            }
            confirmLabel={confirm.kind === 'ban' ? 'Ban' : 'Transfer ownership'}
            onCancel={() => setConfirm(null)}
            onConfirm={async () => {
              const pending = confirm;
              setConfirm(null);
              const ok =
                pending.kind === 'ban'
                  ? await run('ban', () => client.http.ban(conversation.id, { userId: member.userId, ...(pending.seconds ? { durationSec: pending.seconds } : {}) }), `${name} was banned.`)
                  : await run('transfer ownership', () => client.http.transfer(conversation.id, member.userId), `${name} is now the owner.`);
              if (ok) close();
            }}
          />
        ) : (
          <div className="stack gov-moderation">
            {mayMute &&
              (mutedNow(member.mutedUntil) ? (
                <div className="gov-row">
                  <span>Muted {isForever(member.mutedUntil!) ? 'until unmuted' : `until ${formatDateTime(member.mutedUntil!)}`}</span>
                  <button type="button" className="button" disabled={busy} onClick={() => run('unmute', () => client.http.unmute(conversation.id, member.userId), `${name} can send again.`)}>
                    Unmute
                  </button>
                </div>
              ) : (
                <div className="gov-row">
                  <DurationSelect id={ids.mute} label="Mute for" options={MUTE_OPTIONS} value={mute} onChange={setMute} />
                  <button
                    type="button"
                    className="button"
                    disabled={busy}
                    onClick={() => {
                      const seconds = MUTE_OPTIONS[Number(mute)]?.seconds ?? null;
                      void run('mute', () => client.http.mute(conversation.id, member.userId, seconds ? { durationSec: seconds } : {}), `${name} is muted.`);
                    }}
                  >
                    Mute
                  </button>
                </div>
              ))}
            {roles.length > 0 && (
              <div className="gov-row">
                <label htmlFor={ids.role}>Role</label>
                <select id={ids.role} value={role} onChange={(event) => setRole(event.target.value as Role)}>
                  {!roles.includes(member.role) && <option value={member.role}>{roleLabel(member.role)}</option>}
                  {roles.map((option) => (
                    <option key={option} value={option}>
                      {roleLabel(option)}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="button"
                  disabled={busy || role === member.role}
                  onClick={() => run('change the role', () => client.http.setRole(conversation.id, member.userId, { role: role as Exclude<Role, 'owner'> }), `${name} is now ${roleLabel(role).toLowerCase()}.`)}
                >
                  Change role
                </button>
              </div>
            )}
            {mayBan && (
              <div className="gov-row">
                <DurationSelect id={ids.ban} label="Ban for" options={BAN_OPTIONS} value={ban} onChange={setBan} />
                <button
                  type="button"
                  className="button button-danger-outline"
                  disabled={busy}
                  onClick={() => {
                    const option = BAN_OPTIONS[Number(ban)]!;
                    setConfirm({ kind: 'ban', seconds: option.seconds, label: option.label });
                  }}
                >
                  Ban
                </button>
              </div>
            )}
            {mayTransfer && (
              <div className="gov-row">
                <span>Hand this {conversation.kind} over</span>
                <button type="button" className="button button-danger-outline" disabled={busy} onClick={() => setConfirm({ kind: 'transfer' })}>
                  Transfer ownership
                </button>
              </div>
            )}
            <BlockAndReport conversation={conversation} userId={member.userId} />
          </div>
        )}
      </Dialog>
    </>
  );
}
