import type { Executor, UsersTable } from '../../platform/db/index.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { putSearchTerms } from '../search-index/index.ts';

export async function findUserById(db: Executor, id: string): Promise<UsersTable | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByHandle(db: Executor, handle: string): Promise<UsersTable | undefined> {
  return db.selectFrom('users').selectAll().where('handle', '=', handle.toLowerCase()).executeTakeFirst();
}

export async function findUsersByIds(db: Executor, ids: readonly string[]): Promise<UsersTable[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}

/** Inserts a user; a taken handle or id is a typed conflict, not a driver error. */
export async function insertUser(db: Executor, row: UsersTable): Promise<void> {
  try {
    await db.insertInto('users').values(row).execute();
  } catch (error) {
    throw translateUniqueViolation(error);
  }
  await putSearchTerms(db, 'user', row.id, row.handle, row.display_name);
}

/** People search finds users by the words of their handle and name: kept in step with every write of either. */
async function findableBy(db: Executor, patch: Partial<UsersTable>, row: UsersTable | undefined): Promise<UsersTable | undefined> {
  if (row && (patch.handle !== undefined || patch.display_name !== undefined)) await putSearchTerms(db, 'user', row.id, row.handle, row.display_name);
  return row;
}

export async function updateUser(db: Executor, id: string, patch: Partial<Omit<UsersTable, 'id'>>): Promise<UsersTable | undefined> {
  try {
    return await findableBy(db, patch, await db.updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst());
  } catch (error) {
    throw translateUniqueViolation(error);
  }
}

/**
 * Like `updateUser`, but never touches a deleted account, so a tombstone stays scrubbed
 * (no handle, no name, never active again) whatever update races the deletion.
 * Undefined when the user does not exist or is deleted.
 */
export async function updateLiveUser(db: Executor, id: string, patch: Partial<Omit<UsersTable, 'id'>>): Promise<UsersTable | undefined> {
  try {
    return await findableBy(db, patch, await db.updateTable('users').set(patch).where('id', '=', id).where('status', '!=', 'deleted').returningAll().executeTakeFirst());
  } catch (error) {
    throw translateUniqueViolation(error);
  }
}

/** Users in id order after `afterId`. */
export async function listUsers(db: Executor, afterId: string | null, limit: number): Promise<UsersTable[]> {
  let query = db.selectFrom('users').selectAll().orderBy('id').limit(limit);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return query.execute();
}

function translateUniqueViolation(error: unknown): unknown {
  if (!isUniqueViolation(error)) return error;
  const text = String((error as Error).message ?? '') + String((error as { constraint?: string }).constraint ?? '');
  return text.includes('handle') ? new AppError('handle_taken') : new AppError('conflict', 'A user with this id already exists.');
}
