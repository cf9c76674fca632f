import type { Executor } from '../../platform/db/index.ts';
import { newId } from '../../platform/ids.ts';

export interface AuditInput {
  conversationId: string | null;
  /** Null: the platform (admin API). */
  actorId: string | null;
  /** What was done, e.g. `member.banned`, `user.suspended`. */
  action: string;
  targetType: 'user' | 'message' | 'conversation' | 'invite' | 'report' | null;
  targetId: string | null;
  reason?: string | null;
  data?: Record<string, unknown>;
  now: number;
}

/** Appends to the audit log, in the transaction of the action it records: no action without its entry. */
export async function appendAudit(trx: Executor, entry: AuditInput): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      id: newId(entry.now),
      conversation_id: entry.conversationId,
      actor_id: entry.actorId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      reason: entry.reason ?? null,
      data: JSON.stringify(entry.data ?? {}),
      created_at: entry.now,
    })
    .execute();
}
