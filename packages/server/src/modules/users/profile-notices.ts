import type { ProfileFrame, User } from '@parley/protocol';
import type { Executor } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';

export interface ProfileNoticesDeps {
  db: Executor;
  ephemeral: EphemeralPublisher;
  /** At most this many conversations hear of one change (most recently active first). */
  fanoutMax: number;
  /** Groups larger than this are left out (as for live receipts: names matter in small groups). */
  maxGroup: number;
  onError(error: unknown): void;
}

/**
 * A changed profile, live, to the people who show it: a `profile` frame on each of the
 * user's direct conversations and small groups (channels are left out: their subscribers
 * see staff names, and a channel of a million must not hear of every rename). It is not
 * in a log; summaries and member lists carry the new name, so a client that missed the
 * frame shows it after its next load.
 */
export function createProfileNotices({ db, ephemeral, fanoutMax, maxGroup, onError }: ProfileNoticesDeps) {
  async function announce(user: User): Promise<void> {
    if (fanoutMax <= 0) return;
    const rows = await db
      .selectFrom('members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select('c.id')
      .where('m.user_id', '=', user.id)
      .where((eb) => eb.or([eb('c.kind', '=', 'direct'), eb.and([eb('c.kind', '=', 'group'), eb('c.member_count', '<=', maxGroup)])]))
      .orderBy('c.last_activity_at', 'desc')
      .limit(fanoutMax)
      .execute();
    const frame: ProfileFrame = { t: 'profile', user };
    for (const row of rows) ephemeral.toConversation(row.id, frame, user.id);
  }
  return {
    /** After commit; never throws. */
    changed(user: User): void {
      announce(user).catch(onError);
    },
  };
}
