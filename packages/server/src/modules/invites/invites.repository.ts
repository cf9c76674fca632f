import type { Executor, InvitesTable, Tx } from '../../platform/db/index.ts';

export async function findInvite(db: Executor, code: string): Promise<InvitesTable | undefined> {
  return db.selectFrom('invites').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertInvite(trx: Tx, row: InvitesTable): Promise<void> {
  await trx.insertInto('invites').values(row).execute();
}

/** A conversation's invites, newest first, revoked and used-up ones too (the managers see their history). */
export async function listInvites(db: Executor, conversationId: string, limit: number): Promise<InvitesTable[]> {
  return db.selectFrom('invites').selectAll().where('conversation_id', '=', conversationId).orderBy('created_at', 'desc').limit(limit).execute();
}

/** Revokes a live invite of this conversation; false when there is none (unknown, another conversation's, or revoked already). */
export async function revokeInvite(trx: Tx, conversationId: string, code: string, now: number): Promise<boolean> {
  const result = await trx.updateTable('invites').set({ revoked_at: now }).where('code', '=', code).where('conversation_id', '=', conversationId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Counts one use, atomically and under the same conditions that make an invite usable, so
 * a link with one use left admits one person however many race for it. Undefined when the
 * invite no longer works.
 */
export async function useInvite(trx: Tx, code: string, now: number): Promise<Pick<InvitesTable, 'requires_approval'> | undefined> {
  return trx
    .updateTable('invites')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('code', '=', code)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .returning(['requires_approval'])
    .executeTakeFirst();
}
