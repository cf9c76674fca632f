import type { AddPrivacy, User, UserSettings } from '@parley/protocol';
import type { Database, Executor } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendUserEvent, type UnitOfWork } from '../logs/index.ts';
import { findUserById, toUser } from '../users/index.ts';
import * as repo from './privacy.repository.ts';

/** The one answer to "you may not add this user", whatever the reason: privacy setting, block or ban. */
export const CANNOT_ADD = 'Some users cannot be added. They can still join through an invite link.';

/**
 * Who of `userIds` refuses to be added to a conversation by `actorId`: those who blocked
 * the actor, those who let nobody add them, and those who let only their contacts (people
 * they have a direct conversation with) add them. Deleted or unknown users are not here
 * (callers report them as not found).
 */
export async function refusingToBeAdded(db: Executor, actorId: string, userIds: readonly string[]): Promise<string[]> {
  const others = userIds.filter((id) => id !== actorId);
  const [rows, blockers, partners] = await Promise.all([repo.addPrivacyOf(db, others), repo.blockersOf(db, actorId, others), repo.directPartners(db, actorId, others)]);
  return rows
    .filter((row) => row.status !== 'deleted')
    .filter((row) => blockers.has(row.id) || row.add_privacy === 'nobody' || (row.add_privacy === 'contacts' && !partners.has(row.id)))
    .map((row) => row.id);
}

export const blockedEitherWay = repo.blockedEitherWay;

export type PrivacyService = ReturnType<typeof createPrivacyService>;

/** A user's block list and privacy settings; every change is in the user's own log so all their devices follow. */
export function createPrivacyService({ db, uow, clock }: { db: Database; uow: UnitOfWork; clock: Clock }) {
  return {
    async block(actor: Actor, userId: string): Promise<void> {
      if (userId === actor.userId) throw new AppError('validation_failed', 'You cannot block yourself.');
      await uow(async (trx, changes) => {
        const target = await findUserById(trx, userId);
        // A deleted account answers like one that never existed (nothing is left to block).
        if (!target || target.status === 'deleted') throw new AppError('not_found', 'User not found.');
        if (await repo.insertBlock(trx, actor.userId, userId, clock())) {
          await appendUserEvent(trx, changes, { userId: actor.userId, type: 'block.added', data: { userId }, now: clock() });
        }
      });
    },

    async unblock(actor: Actor, userId: string): Promise<void> {
      await uow(async (trx, changes) => {
        if (await repo.deleteBlock(trx, actor.userId, userId)) {
          await appendUserEvent(trx, changes, { userId: actor.userId, type: 'block.removed', data: { userId }, now: clock() });
        }
      });
    },

    async blocks(actor: Actor): Promise<User[]> {
      return (await repo.listBlocked(db.kysely, actor.userId)).map(toUser);
    },

    async settings(actor: Actor): Promise<UserSettings> {
      const row = await findUserById(db.kysely, actor.userId);
      if (!row) throw new AppError('not_found', 'User not found.');
      return { addPrivacy: row.add_privacy };
    },

    async updateSettings(actor: Actor, patch: { addPrivacy?: AddPrivacy }): Promise<UserSettings> {
      return uow(async (trx, changes) => {
        const row = await findUserById(trx, actor.userId);
        if (!row) throw new AppError('not_found', 'User not found.');
        if (patch.addPrivacy !== undefined && patch.addPrivacy !== row.add_privacy) {
          await trx.updateTable('users').set({ add_privacy: patch.addPrivacy, updated_at: clock() }).where('id', '=', actor.userId).execute();
          await appendUserEvent(trx, changes, { userId: actor.userId, type: 'settings.updated', data: { addPrivacy: patch.addPrivacy }, now: clock() });
        }
        return { addPrivacy: patch.addPrivacy ?? row.add_privacy };
      });
    },
  };
}
