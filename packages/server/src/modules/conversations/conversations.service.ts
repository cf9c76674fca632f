import type {
  AdminConversation, Conversation, ConversationListResponse, ConversationPreview, CreateConversationBody, ReadResponse, Right, UpdateConversationBody,
} from '@parley/protocol';
import type { ConversationsTable, Database, Executor } from '../../platform/db/index.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor, isIdCursor } from '../../platform/cursor.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendAudit, appendEvent, appendUserEvent, lockConversation, toMessages, type UnitOfWork } from '../logs/index.ts';
import { access, authorize, joinRole, MEMBER_DEFAULTS, MEMBER_GRANTABLE, parseRights, type PolicyHook, sortRights } from '../policy/index.ts';
import { addCandidates, blockedEitherWay } from '../privacy/index.ts';
import { findUsersByIds, type PictureFiles, toUser } from '../users/index.ts';
import { toAdminConversation, toConversation, type ConversationRow, toPrefs, toPreview, toSettings } from './conversations.mapper.ts';
import * as repo from './conversations.repository.ts';
import { admit } from './membership.ops.ts';

export interface ConversationLimits {
  maxGroupMembers: number;
  maxChannelMembers: number;
  /** Groups and channels one user may own (checked when they create one). */
  maxOwnedConversations?: number;
  /** Conversations of any kind one user may be in (checked whenever someone is admitted). */
  maxConversationsPerUser: number;
}

export interface ConversationsDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  limits: ConversationLimits;
  hook: PolicyHook;
  /** Uploads as conversation photos (the media module); without it, photos cannot be set. */
  pictures?: PictureFiles;
}

export type ConversationsService = ReturnType<typeof createConversationsService>;

const isListCursor = (value: unknown): value is repo.ListCursor =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as repo.ListCursor).at) && isIdCursor((value as repo.ListCursor).id);

/** How many members a conversation of this kind may have. */
export function memberLimit(kind: ConversationsTable['kind'], limits: ConversationLimits): number {
  return kind === 'channel' ? limits.maxChannelMembers : kind === 'group' ? limits.maxGroupMembers : 2;
}

/** Users that may be added: they must exist and not be deleted. Unknown ids are reported, nothing else is revealed. */
export async function requireExistingUsers(db: Executor, userIds: readonly string[]): Promise<void> {
  const rows = await findUsersByIds(db, userIds);
  const usable = new Set(rows.filter((row) => row.status !== 'deleted').map((row) => row.id));
  const missing = userIds.filter((id) => !usable.has(id));
  if (missing.length > 0) throw new AppError('not_found', 'Some users were not found.', { userIds: missing });
}

function checkMemberRights(rights: readonly Right[] | undefined): void {
  const outside = (rights ?? []).filter((right) => !MEMBER_GRANTABLE.includes(right));
  if (outside.length > 0) throw new AppError('validation_failed', `Ordinary members cannot be given: ${outside.join(', ')}.`, [{ path: '/settings/memberRights', message: `allowed: ${MEMBER_GRANTABLE.join(', ')}` }]);
}

/** Public conversations are found by handle; private ones have none. */
function checkVisibility(visibility: 'private' | 'public', handle: string | null): void {
  if (visibility === 'public' && !handle) throw new AppError('validation_failed', 'A public conversation needs a handle.', [{ path: '/handle', message: 'required when visibility is public' }]);
  if (visibility === 'private' && handle) throw new AppError('validation_failed', 'Only public conversations have a handle.', [{ path: '/handle', message: 'only for public conversations' }]);
}

function handleTakenOr(error: unknown): unknown {
  return isUniqueViolation(error) && String((error as Error).message).includes('handle') ? new AppError('handle_taken', 'This handle is already taken.') : error;
}

export function createConversationsService({ db, uow, clock, limits, hook, pictures }: ConversationsDeps) {
  const kysely = db.kysely;

  /**
   * Shared state plus the viewer's own pointers and rights, for a page of conversations
   * in six queries. Callers run it in the same snapshot as the rows: a summary's unread
   * count must describe the moment of its lastSeq, or a client adding later events would
   * count a message twice.
   */
  async function present(trx: Executor, userId: string, rows: ConversationRow[]): Promise<Conversation[]> {
    const ids = rows.map((row) => row.id);
    const directIds = rows.filter((row) => row.kind === 'direct').map((row) => row.id);
    const lastMessageIds = rows.map((row) => row.last_message_id).filter((id): id is string => id !== null);
    const [peers, lastMessages, unread, pins] = await Promise.all([
      repo.findPeers(trx, userId, directIds),
      // With their reaction counts, like every other message on the wire.
      lastMessageIds.length ? trx.selectFrom('messages').selectAll().where('id', 'in', lastMessageIds).execute().then((found) => toMessages(trx, found)) : Promise.resolve([]),
      repo.unreadCounts(trx, userId, ids),
      repo.pinnedIds(trx, ids),
    ]);
    const peerByConversation = new Map(peers.map((peer) => [peer.conversation_id, toUser(peer)]));
    // The peer's receipt pointers (reading implies delivery), for sent / delivered / read ticks.
    const receiptsByConversation = new Map(peers.map((peer) => [peer.conversation_id, { deliveredSeq: Math.max(peer.delivered_seq ?? 0, peer.read_seq), readSeq: peer.read_seq }]));
    const messageById = new Map(lastMessages.map((message) => [message.id, message]));
    const now = clock();
    return rows.map((row) =>
      toConversation(row, {
        peer: peerByConversation.get(row.id) ?? null,
        peerReceipts: receiptsByConversation.get(row.id) ?? null,
        lastMessage: row.last_message_id ? (messageById.get(row.last_message_id) ?? null) : null,
        unreadCount: unread.get(row.id) ?? 0,
        pinnedMessageIds: pins.get(row.id) ?? [],
        now,
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

  async function createDirect(actor: Actor, peerId: string): Promise<Conversation> {
    if (peerId === actor.userId) throw new AppError('validation_failed', 'A direct conversation needs another user.');
    const directKey = [actor.userId, peerId].sort().join(' ');
    const existing = await repo.findDirectByKey(kysely, directKey);
    if (existing) return view(actor.userId, existing.id);
    await requireExistingUsers(kysely, [peerId]);
    authorize(actor.userId, 'conversation.create', { conversation: { kind: 'direct' }, membership: null, blocked: await blockedEitherWay(kysely, actor.userId, peerId) });
    await hook.consult({ action: 'conversation.create', actorId: actor.userId, kind: 'direct', userIds: [peerId] });
    const now = clock();
    const id = newId(now);
    try {
      await uow(async (trx, changes) => {
        await repo.insertConversation(trx, conversationRow({ id, kind: 'direct', visibility: 'private', handle: null, title: null, description: null, direct_key: directKey, created_by: actor.userId, now }));
        await appendEvent(trx, changes, { conversationId: id, type: 'conversation.created', actorId: actor.userId, data: { kind: 'direct', visibility: 'private', title: null }, now });
        await admit(trx, changes, { conversationId: id, actorId: actor.userId, userIds: [actor.userId, peerId], role: 'member', now, maxPerUser: limits.maxConversationsPerUser });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The other user created it at the same moment.
      const raced = await repo.findDirectByKey(kysely, directKey);
      if (!raced) throw error;
      return view(actor.userId, raced.id);
    }
    return view(actor.userId, id);
  }

  async function createShared(actor: Actor, body: Exclude<CreateConversationBody, { kind: 'direct' }>): Promise<Conversation> {
    const kind = body.kind;
    const visibility = body.visibility ?? (body.handle ? 'public' : 'private');
    const handle = body.handle?.toLowerCase() ?? null;
    checkVisibility(visibility, handle);
    checkMemberRights(body.settings?.memberRights);
    const others = [...new Set(body.memberIds ?? [])].filter((id) => id !== actor.userId);
    if (others.length + 1 > memberLimit(kind, limits)) throw new AppError('limit_exceeded', `A ${kind} may have at most ${memberLimit(kind, limits)} members.`);
    await requireExistingUsers(kysely, others);
    authorize(actor.userId, 'conversation.create', { conversation: { kind }, membership: null, candidates: await addCandidates(kysely, actor.userId, others) });
    await hook.consult({ action: 'conversation.create', actorId: actor.userId, kind, userIds: others });
    const now = clock();
    const id = newId(now);
    const settings = body.settings ?? {};
    try {
      await uow(async (trx, changes) => {
        await repo.insertConversation(trx, {
          ...conversationRow({ id, kind, visibility, handle, title: body.title, description: body.description ?? null, direct_key: null, created_by: actor.userId, now }),
          member_rights: settings.memberRights ? JSON.stringify(sortRights(settings.memberRights)) : null,
          slow_mode_sec: settings.slowModeSec ?? 0,
          protected_content: settings.protectedContent ? 1 : 0,
          join_approval: settings.joinApproval ? 1 : 0,
        });
        await appendEvent(trx, changes, { conversationId: id, type: 'conversation.created', actorId: actor.userId, data: { kind, visibility, title: body.title }, now });
        await admit(trx, changes, { conversationId: id, actorId: actor.userId, userIds: [actor.userId], role: 'owner', now, maxPerUser: limits.maxConversationsPerUser });
        // Counted after admitting, under the lock admit took on the creator's user log: two
        // concurrent creations by one user cannot both slip under the bound.
        const max = limits.maxOwnedConversations;
        if (max !== undefined && (await repo.countOwned(trx, actor.userId)) > max) throw new AppError('limit_exceeded', `You may own at most ${max} groups and channels.`, { limit: max });
        if (others.length) await admit(trx, changes, { conversationId: id, actorId: actor.userId, userIds: others, role: joinRole(kind), now, maxPerUser: limits.maxConversationsPerUser });
      });
    } catch (error) {
      throw handleTakenOr(error);
    }
    return view(actor.userId, id);
  }

  return {
    view,

    /** Direct (exactly one per pair: asking again returns it), group or channel. */
    create(actor: Actor, body: CreateConversationBody): Promise<Conversation> {
      return body.kind === 'direct' ? createDirect(actor, body.userId) : createShared(actor, body);
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

    /** Title and description need `edit_info`; visibility, handle and settings are for admins with it. */
    async update(actor: Actor, conversationId: string, patch: UpdateConversationBody): Promise<Conversation> {
      const now = clock();
      // Rights no member may ever hold are wrong input whatever the conversation, so they are refused before anything is read.
      checkMemberRights(patch.settings?.memberRights);
      const nextMemberRights = patch.settings?.memberRights ? sortRights(patch.settings.memberRights) : null;
      try {
        await uow(async (trx, changes) => {
          const touchesSettings = patch.visibility !== undefined || patch.handle !== undefined || patch.settings !== undefined;
          const { conversation: current } = await access(trx, actor.userId, conversationId, touchesSettings ? 'conversation.settings' : 'conversation.update', {
            lock: db.dialect,
            now,
            more: (membership) => (nextMemberRights ? { memberRights: { current: parseRights(membership.member_rights) ?? MEMBER_DEFAULTS[membership.kind], next: nextMemberRights } } : {}),
          });
          const visibility = patch.visibility ?? current.visibility;
          // Going private drops the handle; going public needs one.
          const handle = visibility === 'private' ? (patch.handle ?? null) : patch.handle === undefined ? current.handle : patch.handle?.toLowerCase() ?? null;
          checkVisibility(visibility, handle);
          const next: ConversationsTable = {
            ...current,
            title: patch.title ?? current.title,
            description: patch.description === undefined ? current.description : patch.description,
            visibility,
            handle,
            member_rights: nextMemberRights ? JSON.stringify(nextMemberRights) : current.member_rights,
            slow_mode_sec: patch.settings?.slowModeSec ?? current.slow_mode_sec,
            protected_content: patch.settings?.protectedContent === undefined ? current.protected_content : patch.settings.protectedContent ? 1 : 0,
            join_approval: patch.settings?.joinApproval === undefined ? current.join_approval : patch.settings.joinApproval ? 1 : 0,
          };
          const data: Record<string, unknown> = {};
          // A new photo is one of the actor's unused image uploads; the old one goes after the grace.
          if (patch.photoId !== undefined && patch.photoId !== (current.photo_id ?? null)) {
            if (!pictures) throw new AppError('unavailable', 'Pictures are not available on this server.');
            if (patch.photoId !== null) await pictures.usePicture(trx, actor.userId, patch.photoId);
            next.photo_id = patch.photoId;
            data.photoId = patch.photoId;
          }
          if (next.title !== current.title) data.title = next.title;
          if (next.description !== current.description) data.description = next.description;
          if (next.visibility !== current.visibility) data.visibility = next.visibility;
          if (next.handle !== current.handle) data.handle = next.handle;
          const settings = toSettings(next);
          if (JSON.stringify(settings) !== JSON.stringify(toSettings(current))) data.settings = settings;
          if (Object.keys(data).length === 0) return;
          await repo.updateConversation(trx, conversationId, {
            title: next.title, description: next.description, photo_id: next.photo_id ?? null, visibility: next.visibility, handle: next.handle,
            member_rights: next.member_rights, slow_mode_sec: next.slow_mode_sec, protected_content: next.protected_content, join_approval: next.join_approval,
          });
          // Once no longer the photo, the old picture is dropped (unless something else uses it).
          if (data.photoId !== undefined) await pictures!.dropPicture(trx, current.photo_id, now);
          await appendEvent(trx, changes, { conversationId, type: 'conversation.updated', actorId: actor.userId, data, now });
          await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'conversation.updated', targetType: 'conversation', targetId: conversationId, data, now });
        });
      } catch (error) {
        throw handleTakenOr(error);
      }
      return view(actor.userId, conversationId);
    },

    /** What anyone may see of a public group or channel, found by its handle. */
    async lookup(handle: string): Promise<ConversationPreview> {
      const row = await repo.findByHandle(kysely, handle);
      if (!row || row.visibility !== 'public') throw new AppError('not_found', 'Conversation not found.');
      return toPreview(row);
    },

    /** Moves the viewer's read pointer forward (never past the end); every device hears of it through the user's log. */
    async markRead(actor: Actor, conversationId: string, seq: number): Promise<ReadResponse> {
      await uow(async (trx, changes) => {
        const { membership } = await access(trx, actor.userId, conversationId, 'conversation.view', { now: clock() });
        const target = Math.min(seq, membership.last_seq);
        if (target > membership.read_seq) {
          await repo.advanceReadSeq(trx, conversationId, actor.userId, target);
          await appendUserEvent(trx, changes, { userId: actor.userId, type: 'read', data: { conversationId, seq: target }, now: clock() });
        }
        // Reading a conversation you marked unread takes the mark off, on every device.
        const member = await repo.findMember(trx, conversationId, actor.userId);
        if (member?.marked_unread === 1) {
          await repo.updateMember(trx, conversationId, actor.userId, { marked_unread: 0 });
          await appendUserEvent(trx, changes, { userId: actor.userId, type: 'conversation.prefs', data: toPrefs(conversationId, { ...member, marked_unread: 0 }), now: clock() });
        }
      });
      const after = await repo.findMember(kysely, conversationId, actor.userId);
      if (!after) throw new AppError('not_found', 'Conversation not found.');
      const unread = await repo.unreadCounts(kysely, actor.userId, [conversationId]);
      return { readSeq: after.read_seq, unreadCount: unread.get(conversationId) ?? 0 };
    },

    // --- admin ---------------------------------------------------------------------------

    async adminList(kind: ConversationsTable['kind'] | undefined, cursor: string | undefined, limit: number): Promise<{ conversations: AdminConversation[]; nextCursor: string | null }> {
      const afterId = cursor ? decodeCursor(cursor, isIdCursor) : null;
      const rows = await repo.listAll(kysely, kind, afterId, limit + 1);
      const page = rows.slice(0, limit);
      const owners = await Promise.all(page.map((row) => repo.findOwner(kysely, row.id)));
      return { conversations: page.map((row, i) => toAdminConversation(row, owners[i]!)), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.id) : null };
    },

    async adminGet(conversationId: string): Promise<AdminConversation> {
      const row = await repo.findConversation(kysely, conversationId);
      if (!row) throw new AppError('not_found', 'Conversation not found.');
      return toAdminConversation(row, await repo.findOwner(kysely, conversationId));
    },

    /** Deletes a conversation with its log and history; every member's devices hear of it through their own log. */
    async adminDelete(conversationId: string, reason?: string): Promise<void> {
      await uow(async (trx, changes) => {
        const conversation = await lockConversation(trx, db.dialect, conversationId);
        if (!conversation) throw new AppError('not_found', 'Conversation not found.');
        const now = clock();
        // Past the last seq, so every node's membership hints see it as newest.
        const seq = conversation.last_seq + 1;
        for (const userId of (await repo.memberIds(trx, conversationId)).sort()) {
          await appendUserEvent(trx, changes, { userId, type: 'conversation.removed', data: { conversationId, seq }, now, membership: { conversationId, seq, member: false } });
        }
        // Files first (they refer to the messages about to go), then the photo once the row is gone.
        await pictures?.releaseConversation(trx, conversationId, now);
        await repo.deleteConversation(trx, conversationId);
        await pictures?.dropPicture(trx, conversation.photo_id, now);
        await appendAudit(trx, { conversationId, actorId: null, action: 'conversation.deleted', targetType: 'conversation', targetId: conversationId, reason: reason ?? null, data: { kind: conversation.kind, title: conversation.title }, now });
      });
    },
  };
}

function conversationRow(input: {
  id: string; kind: ConversationsTable['kind']; visibility: ConversationsTable['visibility']; handle: string | null; title: string | null;
  description: string | null; direct_key: string | null; created_by: string; now: number;
}): ConversationsTable {
  return {
    id: input.id, kind: input.kind, visibility: input.visibility, handle: input.handle, title: input.title, description: input.description,
    direct_key: input.direct_key, created_by: input.created_by, created_at: input.now, last_seq: 0, last_activity_at: input.now,
    last_message_id: null, member_count: 0, member_rights: null, slow_mode_sec: 0, protected_content: 0, join_approval: 0,
  };
}
