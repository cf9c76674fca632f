import type { JoinRequestFrame } from '@parley/protocol';
import type { Executor } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';
import type { Clock } from '../../platform/time.ts';
import { memberRights } from '../policy/index.ts';

/** Tells the members who answer requests to join that the list of requests changed. */
export interface JoinRequestNotices {
  /** After commit: `userId` asked to join (`pending`), or their request was answered. Never throws. */
  changed(conversationId: string, userId: string, pending: boolean): void;
}

export const noJoinRequestNotices: JoinRequestNotices = { changed() {} };

export interface JoinRequestNoticesDeps {
  db: Executor;
  ephemeral: EphemeralPublisher;
  clock: Clock;
  onError(error: unknown): void;
}

/**
 * Live `join_request` frames to every member holding `manage_invites` (only staff can
 * hold it, so the set is small), on each of their sessions. Requests are rows, not log
 * events: a member who was offline reads the list when they open it, as before.
 */
export function createJoinRequestNotices({ db, ephemeral, clock, onError }: JoinRequestNoticesDeps): JoinRequestNotices {
  async function announce(conversationId: string, userId: string, pending: boolean): Promise<void> {
    const conversation = await db.selectFrom('conversations').select(['kind', 'member_rights']).where('id', '=', conversationId).executeTakeFirst();
    if (!conversation) return;
    const staff = await db
      .selectFrom('members')
      .select(['user_id', 'role', 'rights', 'muted_until'])
      .where('conversation_id', '=', conversationId)
      .where('role', 'in', ['owner', 'admin', 'moderator'])
      .execute();
    const now = clock();
    const frame: JoinRequestFrame = { t: 'join_request', conversationId, userId, pending };
    for (const member of staff) if (memberRights(conversation, member, now).has('manage_invites')) ephemeral.toUser(member.user_id, frame);
  }
  return {
    changed(conversationId, userId, pending) {
      announce(conversationId, userId, pending).catch(onError);
    },
  };
}
