import type { Conversation, ConversationListResponse, Member, MembersResponse, ReadResponse, SeqResponse } from '@parley/protocol';
import type { Database, Executor, MembersTable, Tx } from '../../platform/db/index.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor, isIdCursor } from '../../platform/cursor.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { iso, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendEvent, appendUserEvent, type ChangeSet, toMessage, type UnitOfWork } from '../logs/index.ts';
import { authorize } from '../policy/index.ts';
import { findUsersByIds, toUser } from '../users/index.ts';
import { membershipFacts, toConversation, type ConversationRow } from './conversations.mapper.ts';
import * as repo from './conversations.repository.ts';

export interface ConversationsDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  maxGroupMembers: number;
}

export type ConversationsService = ReturnType<typeof createConversationsService>;

const isListCursor = (value: unknown): value is repo.ListCursor =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as repo.ListCursor).at) && isIdCursor((value as repo.ListCursor).id);

export function createConversationsService({ db, uow, clock, maxGroupMembers }: ConversationsDeps) {
  const kysely = db.kysely;

  /**
   * Shared state plus the viewer's own pointers, for a page of conversations in four
   * queries. Callers run it in the same snapshot as the rows: a summary's unread count
   * must describe the moment of its lastSeq, or a client adding later events would count
   * a message twice.
   */
  async function present(trx: Executor, userId: string, rows: ConversationRow[]): Promise<Conversation[]> {
    const ids = rows.map((row) => row.id);
    const directIds = rows.filter((row) => row.kind === 'direct').map((row) => row.id);
    const lastMessageIds = rows.map((row) => row.last_message_id).filter((id): id is string => id !== null);
    const [peers, lastMessages, unread] = await Promise.all([
      repo.findPeers(trx, userId, directIds),
      lastMessageIds.length ? trx.selectFrom('messages').selectAll().where('id', 'in', lastMessageIds).execute() : Promise.resolve([]),
      repo.unreadCounts(trx, userId, ids),
    ]);
    const peerByConversation = new Map(peers.map((peer) => [peer.conversation_id, toUser(peer)]));
    const messageById = new Map(lastMessages.map((message) => [message.id, toMessage(message)]));
    return rows.map((row) =>
      toConversation(row, {
        peer: peerByConversation.get(row.id) ?? null,
        lastMessage: row.last_message_id ? (messageById.get(row.last_message_id) ?? null) : null,
        unreadCount: unread.get(row.id) ?? 0,
      }),
    );
  }

  async function view(userId: string, conversationId: string): Promise<Conversation> {
    return db.snapshot(async (trx) => {
      const row = await repo.findConversationForUser(trx, userId, conversationId);
      if (!row) throw new AppError('not_found', 'Conversation not found.');
      return (await present(trx, userId, [row]))[0]!;
    });
  }

  /**
   * Users that may be added: they must exist and not be deleted. Unknown ids are reported, nothing else is revealed.
   * Inside a transaction pass the transaction: on SQLite the one connection is held by it,
   * and a query through the pool would wait for it forever.
   */
  async function requireAddableUsers(executor: Executor, userIds: readonly string[]): Promise<void> {
    const rows = await findUsersByIds(executor, userIds);
    const usable = new Set(rows.filter((row) => row.status !== 'deleted').map((row) => row.id));
    const missing = userIds.filter((id) => !usable.has(id));
    if (missing.length > 0) throw new AppError('not_found', 'Some users were not found.', { userIds: missing });
  }

  /**
   * Writes members joining at one seq: member rows, one `members.added` event that
   * subscribes them, and a `conversation.added` event in each of their own logs
   * (ascending id order, the lock order for user rows). A newcomer's read pointer starts
   * at the join: the history before it is there to read, but none of it is unread.
   */
  async function join(trx: Tx, changes: ChangeSet, conversationId: string, actorId: string, members: Array<{ userId: string; role: MembersTable['role'] }>, now: number): Promise<number> {
    const userIds = members.map((member) => member.userId).sort();
    const added = await appendEvent(trx, changes, { conversationId, type: 'members.added', actorId, data: { userIds }, now, subscribe: userIds });
    await repo.insertMembers(trx, members.map((member) => ({ conversation_id: conversationId, user_id: member.userId, role: member.role, joined_at: now, joined_seq: added.seq, read_seq: added.seq })));
    await repo.adjustMemberCount(trx, conversationId, members.length);
    for (const userId of userIds) {
      await appendUserEvent(trx, changes, { userId, type: 'conversation.added', data: { conversationId, seq: added.seq }, now, membership: { conversationId, seq: added.seq, member: true } });
    }
    return added.seq;
  }

  /** Removes one member: the event reaches them too, then they are unsubscribed. */
  async function part(trx: Tx, changes: ChangeSet, conversationId: string, actorId: string, userId: string, reason: 'left' | 'removed' | 'deleted', now: number): Promise<number> {
    const event = await appendEvent(trx, changes, { conversationId, type: 'member.removed', actorId, data: { userId, reason }, now, unsubscribe: [userId] });
    await repo.deleteMember(trx, conversationId, userId);
    await repo.adjustMemberCount(trx, conversationId, -1);
    await appendUserEvent(trx, changes, { userId, type: 'conversation.removed', data: { conversationId, seq: event.seq }, now, membership: { conversationId, seq: event.seq, member: false } });
    return event.seq;
  }

  /** Leaving, or being removed as a deleted account: an owner's seat passes to the longest-standing member. */
  async function leave(trx: Tx, changes: ChangeSet, conversationId: string, userId: string, reason: 'left' | 'deleted', now: number): Promise<number> {
    const member = await repo.findMember(trx, conversationId, userId);
    if (member?.role === 'owner') {
      const heir = await repo.findSuccessor(trx, conversationId, userId);
      if (heir) {
        await repo.setMemberRole(trx, conversationId, heir.user_id, 'owner');
        await appendEvent(trx, changes, { conversationId, type: 'member.role_changed', actorId: null, data: { userId: heir.user_id, role: 'owner' }, now });
      }
    }
    return part(trx, changes, conversationId, userId, userId, reason, now);
  }

  async function createConversation(kind: 'direct' | 'group', actorId: string, title: string | null, directKey: string | null, members: Array<{ userId: string; role: MembersTable['role'] }>): Promise<string> {
    const now = clock();
    const id = newId(now);
    await uow(async (trx, changes) => {
      await repo.insertConversation(trx, { id, kind, title, direct_key: directKey, created_by: actorId, created_at: now, last_seq: 0, last_activity_at: now, last_message_id: null, member_count: 0 });
      await appendEvent(trx, changes, { conversationId: id, type: 'conversation.created', actorId, data: { kind, title }, now });
      await join(trx, changes, id, actorId, members, now);
    });
    return id;
  }

  return {
    /** Exactly one direct conversation per pair: asking again returns the existing one. */
    async createDirect(actor: Actor, peerId: string): Promise<Conversation> {
      if (peerId === actor.userId) throw new AppError('validation_failed', 'A direct conversation needs another user.');
      const directKey = [actor.userId, peerId].sort().join(' ');
      const existing = await repo.findDirectByKey(kysely, directKey);
      if (existing) return view(actor.userId, existing.id);
      await requireAddableUsers(kysely, [peerId]);
      try {
        const id = await createConversation('direct', actor.userId, null, directKey, [
          { userId: actor.userId, role: 'member' },
          { userId: peerId, role: 'member' },
        ]);
        return view(actor.userId, id);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The other user created it at the same moment.
        const raced = await repo.findDirectByKey(kysely, directKey);
        if (!raced) throw error;
        return view(actor.userId, raced.id);
      }
    },

    async createGroup(actor: Actor, title: string, memberIds: readonly string[]): Promise<Conversation> {
      const others = [...new Set(memberIds)].filter((id) => id !== actor.userId);
      if (others.length + 1 > maxGroupMembers) throw new AppError('limit_exceeded', `A group may have at most ${maxGroupMembers} members.`);
      await requireAddableUsers(kysely, others);
      const id = await createConversation('group', actor.userId, title, null, [
        { userId: actor.userId, role: 'owner' },
        ...others.map((userId) => ({ userId, role: 'member' as const })),
      ]);
      return view(actor.userId, id);
    },

    get: (actor: Actor, conversationId: string) => view(actor.userId, conversationId),

    async list(actor: Actor, cursor: string | undefined, limit: number): Promise<ConversationListResponse> {
      const after = cursor ? decodeCursor(cursor, isListCursor) : null;
      return db.snapshot(async (trx) => {
        const [rows, total] = await Promise.all([repo.listForUser(trx, actor.userId, after, limit + 1), repo.totalUnread(trx, actor.userId)]);
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          conversations: await present(trx, actor.userId, page),
          nextCursor: rows.length > limit && last ? encodeCursor({ at: last.last_activity_at, id: last.id }) : null,
          totalUnread: total,
        };
      });
    },

    async update(actor: Actor, conversationId: string, patch: { title: string }): Promise<Conversation> {
      await uow(async (trx, changes) => {
        const conversation = await repo.lockConversation(trx, db.dialect, conversationId);
        const member = conversation && (await repo.findMember(trx, conversationId, actor.userId));
        authorize(actor.userId, 'conversation.update', { conversation: conversation ?? null, membership: member ?? null });
        if (conversation!.title === patch.title) return;
        await repo.updateConversation(trx, conversationId, { title: patch.title });
        await appendEvent(trx, changes, { conversationId, type: 'conversation.updated', actorId: actor.userId, data: { title: patch.title }, now: clock() });
      });
      return view(actor.userId, conversationId);
    },

    async listMembers(actor: Actor, conversationId: string, cursor: string | undefined, limit: number): Promise<MembersResponse> {
      authorize(actor.userId, 'conversation.view', membershipFacts(await repo.findMembershipFacts(kysely, conversationId, actor.userId)));
      const afterUserId = cursor ? decodeCursor(cursor, isIdCursor) : null;
      const rows = await repo.listMembers(kysely, conversationId, afterUserId, limit + 1);
      const page = rows.slice(0, limit);
      const members: Member[] = page.map((row) => ({ userId: row.user_id, role: row.role, joinedAt: iso(row.joined_at), user: toUser(row) }));
      return { members, nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.user_id) : null };
    },

    /** Adds members; those already in are skipped. Returns the seq of the change (0 when nobody was new). */
    async addMembers(actor: Actor, conversationId: string, userIds: readonly string[]): Promise<SeqResponse> {
      const wanted = [...new Set(userIds)];
      return uow(async (trx, changes) => {
        const conversation = await repo.lockConversation(trx, db.dialect, conversationId);
        const member = conversation && (await repo.findMember(trx, conversationId, actor.userId));
        authorize(actor.userId, 'members.add', { conversation: conversation ?? null, membership: member ?? null });
        const present = new Set((await repo.findMembers(trx, conversationId, wanted)).map((row) => row.user_id));
        const fresh = wanted.filter((id) => !present.has(id));
        if (fresh.length === 0) return { seq: 0 };
        if (conversation!.member_count + fresh.length > maxGroupMembers) throw new AppError('limit_exceeded', `A group may have at most ${maxGroupMembers} members.`);
        await requireAddableUsers(trx, fresh);
        const seq = await join(trx, changes, conversationId, actor.userId, fresh.map((userId) => ({ userId, role: 'member' as const })), clock());
        return { seq };
      });
    },

    /** Removes another member, or leaves when the target is the actor. */
    async removeMember(actor: Actor, conversationId: string, userId: string): Promise<SeqResponse> {
      return uow(async (trx, changes) => {
        const conversation = await repo.lockConversation(trx, db.dialect, conversationId);
        const member = conversation && (await repo.findMember(trx, conversationId, actor.userId));
        if (userId === actor.userId) {
          authorize(actor.userId, 'conversation.leave', { conversation: conversation ?? null, membership: member ?? null });
          return { seq: await leave(trx, changes, conversationId, actor.userId, 'left', clock()) };
        }
        const target = member ? await repo.findMember(trx, conversationId, userId) : undefined;
        authorize(actor.userId, 'members.remove', {
          conversation: conversation ?? null,
          membership: member ?? null,
          target: target ? { userId: target.user_id, role: target.role } : null,
        });
        return { seq: await part(trx, changes, conversationId, actor.userId, userId, 'removed', clock()) };
      });
    },

    /** Moves the viewer's read pointer forward (never past the end); every device hears of it through the user's log. */
    async markRead(actor: Actor, conversationId: string, seq: number): Promise<ReadResponse> {
      await uow(async (trx, changes) => {
        const facts = await repo.findMembershipFacts(trx, conversationId, actor.userId);
        authorize(actor.userId, 'conversation.view', membershipFacts(facts));
        const target = Math.min(seq, facts!.last_seq);
        if (target <= facts!.read_seq) return;
        await repo.advanceReadSeq(trx, conversationId, actor.userId, target);
        await appendUserEvent(trx, changes, { userId: actor.userId, type: 'read', data: { conversationId, seq: target }, now: clock() });
      });
      const after = await repo.findMember(kysely, conversationId, actor.userId);
      if (!after) throw new AppError('not_found', 'Conversation not found.');
      const unread = await repo.unreadCounts(kysely, actor.userId, [conversationId]);
      return { readSeq: after.read_seq, unreadCount: unread.get(conversationId) ?? 0 };
    },

    /** A deleted account leaves every group; direct conversations stay so the other person keeps the history. */
    async removeUserEverywhere(userId: string): Promise<void> {
      for (const conversationId of await repo.groupIdsOfUser(kysely, userId)) {
        await uow(async (trx, changes) => {
          const conversation = await repo.lockConversation(trx, db.dialect, conversationId);
          const member = conversation && (await repo.findMember(trx, conversationId, userId));
          if (member) await leave(trx, changes, conversationId, userId, 'deleted', clock());
        });
      }
    },
  };
}
