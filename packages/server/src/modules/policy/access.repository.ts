import { type Executor, preparedQuery } from '../../platform/db/index.ts';

/**
 * Everything most policy decisions need, in one query: the actor's membership (role,
 * custom rights, mute, pointers), the conversation's kind and rules, and for direct
 * conversations the other member's status and whether either blocked the other.
 */
export async function findMembershipFacts(db: Executor, conversationId: string, userId: string) {
  return membershipFactsQuery(db, conversationId, userId).executeTakeFirst();
}

/** `findMembershipFacts` as a query, for a hot path that sends it with others in one round trip (`Database.runTogether`). */
export function membershipFactsQuery(db: Executor, conversationId: string, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .leftJoin('members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').on('c.kind', '=', 'direct').onRef('p.user_id', '!=', 'm.user_id'))
    .leftJoin('users as pu', 'pu.id', 'p.user_id')
    .select((eb) => [
      'm.role', 'm.rights', 'm.muted_until', 'm.last_sent_at', 'm.read_seq', 'm.joined_seq',
      'c.kind', 'c.visibility', 'c.last_seq', 'c.member_rights', 'c.slow_mode_sec', 'c.protected_content', 'c.title', 'c.handle',
      'p.user_id as peer_id', 'pu.status as peer_status',
      eb.exists(
        eb.selectFrom('blocks as b').select('b.blocker_id').where((w) => w.or([
          w.and([w('b.blocker_id', '=', w.ref('m.user_id')), w('b.blocked_id', '=', w.ref('p.user_id'))]),
          w.and([w('b.blocker_id', '=', w.ref('p.user_id')), w('b.blocked_id', '=', w.ref('m.user_id'))]),
        ])),
      ).as('blocked'),
    ])
    .where('m.conversation_id', '=', conversationId)
    .where('m.user_id', '=', userId);
}

/** `membershipFactsQuery` compiled once per dialect, for the send path. */
export const membershipFactsStatement = preparedQuery(membershipFactsQuery);

export type MembershipFactsRow = NonNullable<Awaited<ReturnType<typeof findMembershipFacts>>>;

