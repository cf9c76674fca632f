import type { CreateInviteBody, Invite, InvitePreviewResponse, JoinRequest, JoinResponse } from '@parley/protocol';
import type { Database, Executor, InvitesTable } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { newSecret } from '../../platform/ids.ts';
import { iso, isoOrNull, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { type ConversationLimits, type ConversationsService, findConversation, findMember, toPreview } from '../conversations/index.ts';
import { appendAudit, appendUserEvent, type UnitOfWork } from '../logs/index.ts';
import { activeBans, admitJoiner, deleteJoinRequest, hasJoinRequest, joinConversation, type JoinRequestNotices, listJoinRequests, noJoinRequestNotices } from '../membership/index.ts';
import { access, type PolicyHook } from '../policy/index.ts';
import { toUser } from '../users/index.ts';
import * as repo from './invites.repository.ts';

export interface InvitesDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  limits: ConversationLimits;
  hook: PolicyHook;
  conversations: ConversationsService;
  /** Who hears of requests to join, live (none when left out). */
  joinRequests?: JoinRequestNotices;
}

export type InvitesService = ReturnType<typeof createInvitesService>;

function toInvite(row: InvitesTable): Invite {
  return {
    code: row.code,
    conversationId: row.conversation_id,
    name: row.name,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    expiresAt: isoOrNull(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
    requiresApproval: row.requires_approval === 1,
    revoked: row.revoked_at !== null,
  };
}

/** An invite that works right now. Revoked, expired and used-up ones look exactly like ones that never existed. */
async function findUsable(db: Executor, code: string, now: number): Promise<InvitesTable> {
  const row = await repo.findInvite(db, code);
  if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now) || (row.max_uses !== null && row.uses >= row.max_uses)) {
    throw new AppError('not_found', 'This invite link is not valid.');
  }
  return row;
}

/**
 * Invite links (with expiry, a maximum number of uses, revocation) and the requests to
 * join that links or public conversations with approval produce. Managing them needs the
 * `manage_invites` right; using one needs only the code and not being banned.
 */
export function createInvitesService({ db, uow, clock, limits, hook, conversations, joinRequests = noJoinRequestNotices }: InvitesDeps) {
  const kysely = db.kysely;

  async function requireManager(actor: Actor, conversationId: string): Promise<void> {
    await access(kysely, actor.userId, conversationId, 'invites.manage', { now: clock() });
  }

  return {
    async create(actor: Actor, conversationId: string, body: CreateInviteBody): Promise<Invite> {
      return uow(async (trx) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'invites.manage', { lock: db.dialect, now });
        const row: InvitesTable = {
          code: newSecret(12),
          conversation_id: conversationId,
          name: body.name ?? null,
          created_by: actor.userId,
          created_at: now,
          expires_at: body.expiresInSec ? now + body.expiresInSec * 1000 : null,
          max_uses: body.maxUses ?? null,
          uses: 0,
          requires_approval: body.requiresApproval ? 1 : 0,
          revoked_at: null,
        };
        await repo.insertInvite(trx, row);
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'invite.created', targetType: 'invite', targetId: row.code, data: { expiresAt: isoOrNull(row.expires_at), maxUses: row.max_uses, requiresApproval: body.requiresApproval ?? false }, now });
        return toInvite(row);
      });
    },

    async list(actor: Actor, conversationId: string): Promise<Invite[]> {
      await requireManager(actor, conversationId);
      return (await repo.listInvites(kysely, conversationId, 500)).map(toInvite);
    },

    async revoke(actor: Actor, conversationId: string, code: string): Promise<void> {
      await uow(async (trx) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'invites.manage', { lock: db.dialect, now });
        if (!(await repo.revokeInvite(trx, conversationId, code, now))) throw new AppError('not_found', 'Invite not found.');
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'invite.revoked', targetType: 'invite', targetId: code, now });
      });
    },

    /** What the link leads to, for anyone holding a working code. */
    async preview(code: string): Promise<InvitePreviewResponse> {
      const invite = await findUsable(kysely, code, clock());
      const conversation = await findConversation(kysely, invite.conversation_id);
      if (!conversation) throw new AppError('not_found', 'This invite link is not valid.');
      return { conversation: toPreview(conversation), requiresApproval: invite.requires_approval === 1 };
    },

    /** Joins through a link (one use), or asks to when the link needs approval. Bans hold here too. */
    async join(actor: Actor, code: string): Promise<JoinResponse> {
      const { conversation_id: conversationId } = await findUsable(kysely, code, clock());
      return joinConversation({ db, uow, clock, limits, hook, conversations, joinRequests }, actor, conversationId, 'invite', async (trx, _conversation, now) => {
        const used = await repo.useInvite(trx, code, now);
        if (!used) throw new AppError('not_found', 'This invite link is not valid.');
        return { request: used.requires_approval === 1, inviteCode: code };
      });
    },

    async requests(actor: Actor, conversationId: string): Promise<JoinRequest[]> {
      await requireManager(actor, conversationId);
      return (await listJoinRequests(kysely, conversationId)).map((row) => ({ userId: row.user_id, user: toUser(row), createdAt: iso(row.created_at), viaInvite: row.invite_code !== null }));
    },

    async approve(actor: Actor, conversationId: string, userId: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        const { conversation } = await access(trx, actor.userId, conversationId, 'join_request.approve', {
          lock: db.dialect,
          now,
          more: async () => ({ joinRequest: (await hasJoinRequest(trx, conversationId, userId)) ? { banned: (await activeBans(trx, conversationId, [userId], now)).size > 0 } : null }),
        });
        await deleteJoinRequest(trx, conversationId, userId);
        if (!(await findMember(trx, conversationId, userId))) await admitJoiner(trx, changes, conversation, { actorId: actor.userId, userId, limits, now });
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'join_request.approved', targetType: 'user', targetId: userId, now });
      });
      joinRequests.changed(conversationId, userId, false);
    },

    async decline(actor: Actor, conversationId: string, userId: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'invites.manage', { lock: db.dialect, now });
        if (!(await deleteJoinRequest(trx, conversationId, userId))) throw new AppError('not_found', 'No request to join from this user.');
        await appendUserEvent(trx, changes, { userId, type: 'join_request.declined', data: { conversationId }, now });
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'join_request.declined', targetType: 'user', targetId: userId, now });
      });
      joinRequests.changed(conversationId, userId, false);
    },
  };
}
