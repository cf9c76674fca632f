import type { AuditEntry, CreateReportBody, Report, ResolveReportBody } from '@parley/protocol';
import type { AuditLogTable, Database, ReportsTable } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor, isIdCursor } from '../../platform/cursor.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { iso, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { findConversation } from '../conversations/index.ts';
import { appendAudit, type UnitOfWork } from '../logs/index.ts';
import { access } from '../policy/index.ts';
import { findUserById } from '../users/index.ts';
import * as repo from './moderation.repository.ts';

export type ModerationService = ReturnType<typeof createModerationService>;

function toReport(row: ReportsTable): Report {
  return {
    id: row.id,
    reporterId: row.reporter_id,
    conversationId: row.conversation_id,
    targetType: row.target_type,
    targetId: row.target_id,
    reason: row.reason as Report['reason'],
    comment: row.comment,
    status: row.status,
    resolution: row.status === 'resolved'
      ? { action: row.action as NonNullable<Report['resolution']>['action'], note: row.note, resolvedBy: row.resolved_by, resolvedAt: iso(row.resolved_at!) }
      : null,
    createdAt: iso(row.created_at),
  };
}

function toAuditEntry(row: AuditLogTable): AuditEntry {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    reason: row.reason,
    data: JSON.parse(row.data),
    createdAt: iso(row.created_at),
  };
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Newest first: ids are time-ordered (UUIDv7), so "older than the cursor" is `id < cursor`. */
function page<T extends { id: string }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const slice = rows.slice(0, limit);
  return { rows: slice, nextCursor: rows.length > limit ? encodeCursor(slice.at(-1)!.id) : null };
}

/**
 * Reports go to a queue that platform admins see through the admin API and a
 * conversation's moderators see for their conversation; resolving one records the action
 * taken. The audit log, written by every moderation and admin action, is read here.
 */
export function createModerationService({ db, uow, clock }: { db: Database; uow: UnitOfWork; clock: Clock }) {
  const kysely = db.kysely;

  async function requireModerator(actor: Actor, conversationId: string): Promise<void> {
    await access(kysely, actor.userId, conversationId, 'reports.moderate', { now: clock() });
  }

  async function listReports(filter: { conversationId?: string; status?: 'open' | 'resolved' }, cursor: string | undefined, limit: number): Promise<Page<Report>> {
    const { rows, nextCursor } = page(await repo.listReports(kysely, filter, cursor ? decodeCursor(cursor, isIdCursor) : null, limit + 1), limit);
    return { items: rows.map(toReport), nextCursor };
  }

  async function resolve(actorId: string | null, reportId: string, conversationId: string | null, body: ResolveReportBody): Promise<Report> {
    return uow(async (trx) => {
      const now = clock();
      const report = await repo.findReport(trx, reportId);
      // A conversation's moderators see only their conversation's reports.
      if (!report || (conversationId !== null && report.conversation_id !== conversationId)) throw new AppError('not_found', 'Report not found.');
      if (report.status === 'resolved') throw new AppError('conflict', 'This report is already resolved.');
      const resolved = await repo.resolveReport(trx, reportId, { action: body.action, note: body.note ?? null, resolved_by: actorId, resolved_at: now });
      await appendAudit(trx, { conversationId: report.conversation_id, actorId, action: 'report.resolved', targetType: 'report', targetId: reportId, reason: body.note ?? null, data: { action: body.action, target: { type: report.target_type, id: report.target_id } }, now });
      return toReport(resolved);
    });
  }

  async function audit(filter: { conversationId?: string; actorId?: string }, cursor: string | undefined, limit: number): Promise<Page<AuditEntry>> {
    const { rows, nextCursor } = page(await repo.listAudit(kysely, filter, cursor ? decodeCursor(cursor, isIdCursor) : null, limit + 1), limit);
    return { items: rows.map(toAuditEntry), nextCursor };
  }

  return {
    /** Anyone may report what they can see: a message or conversation they are in (or a public one), or a user. */
    async report(actor: Actor, body: CreateReportBody): Promise<Report> {
      const now = clock();
      const conversationId = body.targetType === 'conversation' ? body.targetId : (body.conversationId ?? null);
      if (body.targetType === 'message' && !conversationId) throw new AppError('validation_failed', 'Reporting a message needs its conversationId.', [{ path: '/conversationId', message: 'required for messages' }]);
      // A public conversation is there for anyone to see, and so to report; anything in a conversation, only for its members.
      const publicConversation = body.targetType === 'conversation' && (await findConversation(kysely, body.targetId))?.visibility === 'public';
      if (conversationId && !publicConversation) await access(kysely, actor.userId, conversationId, 'conversation.view', { now });
      if (body.targetType === 'message' && !(await repo.hasMessage(kysely, conversationId!, body.targetId))) throw new AppError('not_found', 'Message not found.');
      if (body.targetType === 'user') {
        const user = await findUserById(kysely, body.targetId);
        if (!user || user.status === 'deleted') throw new AppError('not_found', 'User not found.');
      }
      const row: ReportsTable = {
        id: newId(now), reporter_id: actor.userId, conversation_id: conversationId, target_type: body.targetType, target_id: body.targetId, reason: body.reason,
        comment: body.comment ?? null, status: 'open', action: null, note: null, resolved_by: null, resolved_at: null, created_at: now,
      };
      await repo.insertReport(kysely, row);
      return toReport(row);
    },

    async conversationReports(actor: Actor, conversationId: string, status: 'open' | 'resolved' | undefined, cursor: string | undefined, limit: number): Promise<Page<Report>> {
      await requireModerator(actor, conversationId);
      return listReports({ conversationId, ...(status ? { status } : {}) }, cursor, limit);
    },

    async resolveInConversation(actor: Actor, conversationId: string, reportId: string, body: ResolveReportBody): Promise<Report> {
      await requireModerator(actor, conversationId);
      return resolve(actor.userId, reportId, conversationId, body);
    },

    async conversationAudit(actor: Actor, conversationId: string, cursor: string | undefined, limit: number): Promise<Page<AuditEntry>> {
      await access(kysely, actor.userId, conversationId, 'audit.view', { now: clock() });
      return audit({ conversationId }, cursor, limit);
    },

    adminReports: (status: 'open' | 'resolved' | undefined, cursor: string | undefined, limit: number) => listReports(status ? { status } : {}, cursor, limit),
    adminResolve: (reportId: string, body: ResolveReportBody) => resolve(null, reportId, null, body),
    adminAudit: (filter: { conversationId?: string; actorId?: string }, cursor: string | undefined, limit: number) => audit(filter, cursor, limit),
  };
}

