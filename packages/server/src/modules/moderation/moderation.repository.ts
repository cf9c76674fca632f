import type { AuditLogTable, Executor, ReportsTable, Tx } from '../../platform/db/index.ts';

/** Newest first (ids are UUIDv7, time-ordered), older than `beforeId` when paging on. */
export async function listReports(db: Executor, filter: { conversationId?: string; status?: ReportsTable['status'] }, beforeId: string | null, limit: number): Promise<ReportsTable[]> {
  let query = db.selectFrom('reports').selectAll().orderBy('id', 'desc').limit(limit);
  if (filter.conversationId) query = query.where('conversation_id', '=', filter.conversationId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (beforeId !== null) query = query.where('id', '<', beforeId);
  return query.execute();
}

export async function findReport(db: Executor, id: string): Promise<ReportsTable | undefined> {
  return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertReport(db: Executor, row: ReportsTable): Promise<void> {
  await db.insertInto('reports').values(row).execute();
}

export async function resolveReport(trx: Tx, id: string, resolution: Pick<ReportsTable, 'action' | 'note' | 'resolved_by' | 'resolved_at'>): Promise<ReportsTable> {
  return trx.updateTable('reports').set({ status: 'resolved', ...resolution }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Newest first, older than `beforeId` when paging on; the platform reads all, a conversation's staff their conversation's. */
export async function listAudit(db: Executor, filter: { conversationId?: string; actorId?: string }, beforeId: string | null, limit: number): Promise<AuditLogTable[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit);
  if (filter.conversationId) query = query.where('conversation_id', '=', filter.conversationId);
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (beforeId !== null) query = query.where('id', '<', beforeId);
  return query.execute();
}

/** Whether the message is in that conversation, deleted or not. */
export async function hasMessage(db: Executor, conversationId: string, messageId: string): Promise<boolean> {
  return (await db.selectFrom('messages').select('id').where('id', '=', messageId).where('conversation_id', '=', conversationId).executeTakeFirst()) !== undefined;
}
