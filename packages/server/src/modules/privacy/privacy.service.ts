import type { AddPrivacy, User, UserSettings } from '@parley/protocol';
import type { Database, Executor } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendUserEvent, type UnitOfWork } from '../logs/index.ts';
import type { AddCandidate } from '../policy/index.ts';
import { findUserById, toUser } from '../users/index.ts';
import * as repo from './privacy.repository.ts';

/**
 * What deciding whether `userIds` let `actorId` add them needs (the policy module decides):
 * their add-privacy setting, whether they blocked the actor, whether they count the actor
 * as a contact. In the order of `userIds`; the actor, and deleted or unknown users, are
 * left out (callers report those as not found first).
 */
export async function addCandidates(db: Executor, actorId: string, userIds: readonly string[]): Promise<AddCandidate[]> {
  const others = userIds.filter((id) => id !== actorId);
  const [rows, blockers, contacts] = await Promise.all([repo.addPrivacyOf(db, others), repo.blockersOf(db, actorId, others), repo.contactsOf(db, actorId, others)]);
  const byId = new Map(rows.filter((row) => row.status !== 'deleted').map((row) => [row.id, row]));
  return others.flatMap((id) => {
    const row = byId.get(id);
    return row ? [{ userId: id, addPrivacy: row.add_privacy, contact: contacts.has(id), blocksActor: blockers.has(id) }] : [];
  });
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
