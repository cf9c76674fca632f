import type { AdminUser, User } from '@parley/protocol';
import type { UsersTable } from '../../platform/db/index.ts';
import { iso } from '../../platform/time.ts';

export const DELETED_DISPLAY_NAME = 'Deleted account';

export function toUser(row: Pick<UsersTable, 'id' | 'handle' | 'display_name' | 'status' | 'avatar_id'>): User {
  if (row.status === 'deleted') return { id: row.id, handle: null, displayName: DELETED_DISPLAY_NAME };
  return { id: row.id, handle: row.handle, displayName: row.display_name, ...(row.avatar_id ? { avatarId: row.avatar_id } : {}) };
}

export function toAdminUser(row: UsersTable): AdminUser {
  return {
    id: row.id,
    handle: row.handle,
    displayName: row.display_name,
    status: row.status,
    ...(row.avatar_id ? { avatarId: row.avatar_id } : {}),
    hasPassword: row.password_hash !== null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
