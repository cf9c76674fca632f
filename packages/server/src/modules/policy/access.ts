import type { ConversationsTable, Dialect, Executor, Tx } from '../../platform/db/index.ts';
import { lockConversation } from '../logs/index.ts';
import { findMembershipFacts, type MembershipFactsRow } from './access.repository.ts';
import { type Action, authorize, type PolicyFacts } from './policy.ts';
import { memberRights } from './rights.ts';

/**
 * The access door: every service asks here before it acts on, or reveals, a conversation
 * the actor is in. It loads the facts the policy decides on (the actor's membership and
 * rights, the conversation's rules, a block in a direct conversation), adds what the
 * action itself needs, and asks `authorize`. It returns only when the action is allowed.
 *
 * Outsiders and unknown ids get the same answer (`not_found`): the facts of a conversation
 * the actor is not in are "no conversation", and nothing more is read for them.
 *
 * Starting (`conversation.create`) and joining (`conversation.join`) are decided on other
 * facts (who is to be added, a ban, the way in) and ask `authorize` themselves.
 */
export type MemberAction = Exclude<Action, 'conversation.create' | 'conversation.join'>;

export interface AccessOptions {
  /** The moment rights are judged at: a mute that has run out no longer counts. */
  now: number;
  /**
   * Lock the conversation row first, so the decision stays true until commit: the executor
   * is then the transaction, and the dialect picks the lock statement. Left out, the facts
   * are read as they are (a view), or under a lock the caller holds already (a taken seq).
   */
  lock?: Dialect;
  /**
   * The facts only this action needs (the member or message acted on, a grant, the rights
   * to give members), read once the actor is known to be a member, under the same lock.
   */
  more?: (membership: MembershipFactsRow) => Partial<PolicyFacts> | Promise<Partial<PolicyFacts>>;
  /**
   * The membership facts (`findMembershipFacts`), already read by the caller in its
   * transaction under the conversation lock it holds (a send reads them in the same round
   * trip that takes the seq); null: no membership row. The decision is made here all the same.
   */
  membership?: MembershipFactsRow | null;
}

export interface Access {
  /** The actor's membership row with the conversation's rules (kind, last seq, slow mode…). */
  membership: MembershipFactsRow;
  /** What the policy decided on, `more` included: a second question about the same action starts here. */
  facts: PolicyFacts;
}

export interface LockedAccess extends Access {
  /** The conversation row as read under the lock. */
  conversation: ConversationsTable;
}

export async function access(trx: Tx, actorId: string, conversationId: string, action: MemberAction, options: AccessOptions & { lock: Dialect }): Promise<LockedAccess>;
export async function access(db: Executor, actorId: string, conversationId: string, action: MemberAction, options: AccessOptions): Promise<Access>;
export async function access(db: Executor, actorId: string, conversationId: string, action: MemberAction, { now, lock, more, membership: read }: AccessOptions): Promise<Access & { conversation?: ConversationsTable | undefined }> {
  // A lock outside a transaction would be let go at once: that is a mistake in the caller, not a refusal.
  if (lock && !db.isTransaction) throw new Error('access: the conversation lock needs a transaction');
  if (read !== undefined && (lock || !db.isTransaction)) throw new Error('access: facts read by the caller must come from its own transaction, under its lock');
  const conversation = lock ? await lockConversation(db as Tx, lock, conversationId) : undefined;
  const membership = read !== undefined ? read ?? undefined : lock && !conversation ? undefined : await findMembershipFacts(db, conversationId, actorId);
  let facts = toPolicyFacts(membership, now);
  if (membership && more) facts = { ...facts, ...(await more(membership)) };
  authorize(actorId, action, facts);
  // Allowed means a member: every action here is refused as not found to anyone else.
  return { conversation, membership: membership!, facts };
}

/** The policy's view of the membership row: a missing row means "not a member", which the policy answers as not found. */
function toPolicyFacts(row: MembershipFactsRow | undefined, now: number): PolicyFacts {
  if (!row) return { conversation: null, membership: null };
  return {
    conversation: { kind: row.kind, visibility: row.visibility, protectedContent: row.protected_content === 1 },
    membership: { role: row.role, rights: memberRights(row, row, now) },
    peerStatus: row.peer_status,
    blocked: Boolean(row.blocked),
  };
}
