import type { UserEvent, UserEventType } from '@parley/protocol';
import type { Executor, Tx } from '../../platform/db/index.ts';
import { iso } from '../../platform/time.ts';
import type { ChangeSet, MembershipHint } from './changes.ts';

type UserEventOf<T extends UserEventType> = Extract<UserEvent, { type: T }>;

export interface AppendUserEventInput<T extends UserEventType> {
  userId: string;
  type: T;
  data: UserEventOf<T>['data'];
  now: number;
  membership?: MembershipHint;
}

/**
 * Appends to one user's own log (what only their devices see). Like the conversation
 * log, the seq comes from an UPDATE that row-locks the user until commit. Callers that
 * touch several users lock them in ascending id order, so two transactions never
 * deadlock on each other.
 */
export async function appendUserEvent<T extends UserEventType>(trx: Tx, changes: ChangeSet, input: AppendUserEventInput<T>): Promise<UserEventOf<T>> {
  const row = await trx
    .updateTable('users')
    .set((eb) => ({ event_seq: eb('event_seq', '+', 1) }))
    .where('id', '=', input.userId)
    .returning('event_seq')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('user_events')
    .values({ user_id: input.userId, seq: row.event_seq, type: input.type, data: JSON.stringify(input.data), created_at: input.now })
    .execute();
  const event = { seq: row.event_seq, type: input.type, createdAt: iso(input.now), data: input.data } as UserEventOf<T>;
  changes.userEvents.push({ userId: input.userId, event, membership: input.membership ?? null });
  return event;
}

export async function readUserEvents(db: Executor, userId: string, after: number, limit: number): Promise<UserEvent[]> {
  const rows = await db
    .selectFrom('user_events')
    .select(['seq', 'type', 'data', 'created_at'])
    .where('user_id', '=', userId)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ seq: row.seq, type: row.type, createdAt: iso(row.created_at), data: JSON.parse(row.data) }) as UserEvent);
}

export async function userLogHead(db: Executor, userId: string): Promise<number> {
  const row = await db.selectFrom('users').select('event_seq').where('id', '=', userId).executeTakeFirst();
  return row?.event_seq ?? 0;
}
