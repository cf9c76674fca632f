import type { AdminBulkResult, AdminBulkUsersBody, AdminCreateUserBody, AdminUpdateUserBody, AdminUser, User } from '@parley/protocol';
import { CloseCodes } from '@parley/protocol';
import { createBatchLoader, type Database, type Tx, type UsersTable } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor, isIdCursor } from '../../platform/cursor.ts';
import { AppError, toErrorBody } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { hashPassword, verifyPassword } from '../../platform/passwords.ts';
import type { Clock } from '../../platform/time.ts';
import { appendAudit, appendUserEvent, type ChangeSet, type UnitOfWork } from '../logs/index.ts';
import { DELETED_DISPLAY_NAME, toAdminUser, toUser } from './users.mapper.ts';
import { findUserByHandle, findUserById, findUsersByIds, insertUser, listUsers, updateLiveUser, updateUser } from './users.repository.ts';

/** How the audit log names a user's fields: as the API does. */
const FIELD_NAMES = { handle: 'handle', display_name: 'displayName', password_hash: 'password' } as const;


/** A signed-out session keeps no way to reach the device: its push token and Web Push keys go with it. */
const NO_PUSH = { push_token: null, push_platform: null, push_keys: null } as const;
export interface UsersDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  /** Uploads as pictures (the media module); without it, pictures cannot be set. */
  pictures?: PictureFiles;
}

/** What avatars and conversation photos need of the files module, inside the caller's transaction. */
export interface PictureFiles {
  /** The actor's unused image upload becomes a picture (typed refusals otherwise). */
  usePicture(trx: Tx, actorId: string, fileId: string): Promise<void>;
  /** A picture replaced or removed: its bytes go after the grace, unless something else uses it. */
  dropPicture(trx: Tx, fileId: string | null | undefined, now: number): Promise<void>;
  /** A conversation deleted: its messages stop carrying files, whose bytes go after the grace unless used elsewhere. */
  releaseConversation(trx: Tx, conversationId: string, now: number): Promise<void>;
}

export interface Identity {
  id: string;
  displayName: string;
  handle: string | null;
}

export type UsersService = ReturnType<typeof createUsersService>;

type NewUser = { id?: string; handle?: string | null; displayName: string; password?: string };

/** Upserts of different users in flight at once in one bulk request. */
const BULK_CONCURRENCY = 32;

/**
 * Runs `work` for every item, results in the items' order. Each item is its own audited
 * transaction; items of different users run side by side, so the embedded store commits
 * them together (group commit) and PostgreSQL spreads them over its pool, while the items
 * of one user run one after another, in order.
 */
async function inUserOrder<T extends { id: string }, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const byUser = new Map<string, number[]>();
  items.forEach((item, index) => byUser.set(item.id, [...(byUser.get(item.id) ?? []), index]));
  const queue = [...byUser.values()];
  const runner = async () => {
    for (let indexes = queue.shift(); indexes; indexes = queue.shift()) for (const index of indexes) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, queue.length) }, runner));
  return results;
}

export function createUsersService({ db, uow, clock, pictures }: UsersDeps) {
  const kysely = db.kysely;
  // Every connect reads its user's row (projection, then the status re-check): one query per tick.
  const loadUser = createBatchLoader(async (ids) => new Map((await findUsersByIds(kysely, ids)).map((row) => [row.id, row])));

  async function requireUser(id: string): Promise<UsersTable> {
    const row = await findUserById(kysely, id);
    if (!row) throw new AppError('not_found', 'User not found.');
    return row;
  }

  async function newUserRow(input: NewUser): Promise<UsersTable> {
    const now = clock();
    return {
      id: input.id ?? newId(now),
      handle: input.handle ? input.handle.toLowerCase() : null,
      display_name: input.displayName,
      password_hash: input.password ? await hashPassword(input.password) : null,
      status: 'active',
      add_privacy: 'everyone',
      event_seq: 0,
      created_at: now,
      updated_at: now,
    };
  }

  async function createUser(input: NewUser): Promise<UsersTable> {
    const row = await newUserRow(input);
    await insertUser(kysely, row);
    return row;
  }

  /** The platform's audit entry for a user, in the transaction of the change. */
  const auditUser = (trx: Tx, action: string, userId: string, data?: Record<string, unknown>) =>
    appendAudit(trx, { conversationId: null, actorId: null, action, targetType: 'user', targetId: userId, ...(data ? { data } : {}), now: clock() });

  /** Creating a user through the admin API: audited with the user. */
  async function insertAudited(trx: Tx, row: UsersTable): Promise<UsersTable> {
    await insertUser(trx, row);
    await auditUser(trx, 'user.created', row.id);
    return row;
  }

  /**
   * Changes a live user through the admin API, audited with the names of the fields that
   * changed (never their values: the audit log outlives the account's personal data).
   * A password given counts as changed. Nothing changed, nothing written.
   */
  async function changeAudited(trx: Tx, row: UsersTable, patch: Partial<Pick<UsersTable, 'handle' | 'display_name' | 'password_hash'>>): Promise<UsersTable | undefined> {
    const fields = (['handle', 'display_name', 'password_hash'] as const).filter((field) => patch[field] !== undefined && (field === 'password_hash' || patch[field] !== row[field]));
    if (fields.length === 0) return row;
    const updated = await updateLiveUser(trx, row.id, { ...patch, updated_at: clock() });
    if (updated) await auditUser(trx, 'user.updated', row.id, { fields: fields.map((field) => FIELD_NAMES[field]) });
    return updated;
  }

  /** Status changes close live sessions after commit; suspension keeps sessions so unsuspending restores them. */
  async function setStatus(id: string, status: 'active' | 'suspended'): Promise<AdminUser> {
    return uow(async (trx, changes) => {
      const row = await findUserById(trx, id);
      if (!row || row.status === 'deleted') throw new AppError('not_found', 'User not found.');
      const updated = await updateLiveUser(trx, id, { status, updated_at: clock() });
      if (!updated) throw new AppError('not_found', 'User not found.');
      if (status === 'suspended') {
        changes.closeSessions({ userId: id, sessionId: null, closeCode: CloseCodes.accountSuspended, reason: 'account suspended' });
      }
      if (status !== row.status) await auditUser(trx, status === 'suspended' ? 'user.suspended' : 'user.unsuspended', id);
      return toAdminUser(updated);
    });
  }

  /**
   * First sight of an external identity. Concurrent first requests race to insert the
   * same id: whoever loses reads the winner's row. A colliding handle claim is dropped.
   */
  async function createProjected(identity: Identity): Promise<UsersTable> {
    let handle = identity.handle;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await createUser({ id: identity.id, displayName: identity.displayName, handle });
      } catch (error) {
        const raced = await findUserById(kysely, identity.id);
        if (raced) return raced;
        if (error instanceof AppError && error.code === 'handle_taken' && handle !== null) {
          handle = null;
          continue;
        }
        throw error;
      }
    }
    throw new AppError('conflict', 'The user could not be created.');
  }

  /**
   * Ends every live device session of the user but `keepSessionId` (null: all of them),
   * like `endSession` each; returns how many it ended. `trx`: inside a change that must
   * commit with it (a new password), otherwise a unit of work of its own.
   */
  async function endOtherSessions(userId: string, keepSessionId: string | null, closeCode: number, reason: string, trx?: Tx, changes?: ChangeSet): Promise<number> {
    const run = async (tx: Tx, set: ChangeSet) => {
      let query = tx.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null);
      if (keepSessionId !== null) query = query.where('id', '!=', keepSessionId);
      const ids = (await query.execute()).map((row) => row.id);
      if (ids.length === 0) return 0;
      await tx.updateTable('sessions').set({ revoked_at: clock(), ...NO_PUSH }).where('id', 'in', ids).where('revoked_at', 'is', null).execute();
      for (const sessionId of ids) set.closeSessions({ userId, sessionId, closeCode, reason });
      return ids.length;
    };
    return trx && changes ? run(trx, changes) : uow(run);
  }

  return {
    /** A user's row as committed now, read together with the other connects of this tick (reads only: never mutate it). */
    loadRow: loadUser,

    createUser,

    async getUser(id: string): Promise<User> {
      return toUser(await requireUser(id));
    },

    async getUserByHandle(handle: string): Promise<User> {
      const row = await findUserByHandle(kysely, handle);
      if (!row || row.status === 'deleted') throw new AppError('not_found', 'User not found.');
      return toUser(row);
    },

    /** Profile changes are an event in the user's own log, so all their devices converge. */
    async updateProfile(userId: string, patch: { displayName?: string | undefined; avatarId?: string | null | undefined }): Promise<User> {
      return uow(async (trx, changes) => {
        const now = clock();
        let avatar: { avatar_id: string | null } | undefined;
        if (patch.avatarId !== undefined) {
          const current = await findUserById(trx, userId);
          if (!current || current.status === 'deleted') throw new AppError('not_found', 'User not found.');
          if (patch.avatarId !== (current.avatar_id ?? null)) {
            if (!pictures) throw new AppError('unavailable', 'Pictures are not available on this server.');
            if (patch.avatarId !== null) await pictures.usePicture(trx, userId, patch.avatarId);
            avatar = { avatar_id: patch.avatarId };
          }
        }
        const previous = avatar ? (await findUserById(trx, userId))?.avatar_id : null;
        const updated = await updateLiveUser(trx, userId, { ...(patch.displayName ? { display_name: patch.displayName } : {}), ...avatar, updated_at: now });
        if (!updated) throw new AppError('not_found', 'User not found.');
        // Once no longer the avatar, the old picture is dropped (unless something else uses it).
        if (avatar) await pictures!.dropPicture(trx, previous, now);
        const user = toUser(updated);
        await appendUserEvent(trx, changes, { userId, type: 'profile.updated', data: { user }, now: clock() });
        return user;
      });
    },

    /**
     * Projects a user known to an external identity provider: created on first sight,
     * display name and handle kept in step afterwards. A deleted user is never revived.
     * A handle claim that collides with another user is dropped (or, for a known user,
     * left as it was) rather than refusing the token.
     */
    async projectIdentity(identity: Identity): Promise<UsersTable> {
      const existing = await loadUser(identity.id);
      if (!existing) return createProjected(identity);
      if (existing.status !== 'active') return existing;
      const patch: Partial<UsersTable> = {};
      if (existing.display_name !== identity.displayName) patch.display_name = identity.displayName;
      if (identity.handle !== null && existing.handle !== identity.handle) patch.handle = identity.handle;
      if (Object.keys(patch).length === 0) return existing;
      try {
        return (await updateLiveUser(kysely, identity.id, { ...patch, updated_at: clock() })) ?? existing;
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'handle_taken')) throw error;
        // The claimed handle belongs to someone else: keep the current one, still take the new name.
        if (patch.display_name === undefined) return existing;
        return (await updateLiveUser(kysely, identity.id, { display_name: patch.display_name, updated_at: clock() })) ?? existing;
      }
    },

    /**
     * Ends one device session: its refresh token stops working, its access tokens are
     * refused, and its live sockets close (after commit) with `closeCode`.
     */
    async endSession(userId: string, sessionId: string, closeCode: number, reason: string): Promise<void> {
      await uow(async (trx, changes) => {
        await trx.updateTable('sessions').set({ revoked_at: clock(), ...NO_PUSH }).where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
        changes.closeSessions({ userId, sessionId, closeCode, reason });
      });
    },

    endOtherSessions,

    /**
     * A user changes their own password, proving it with the current one. Accounts that
     * sign in through the product's identity provider have no password here. With
     * `signOutOthers`, every other device session ends in the same transaction.
     */
    async changeOwnPassword(userId: string, currentSessionId: string | null, currentPassword: string, newPassword: string, signOutOthers: boolean): Promise<number> {
      const row = await findUserById(kysely, userId);
      if (!row || row.status !== 'active') throw new AppError('unauthorized', 'Invalid token.');
      if (!row.password_hash) throw new AppError('bad_request', 'This account signs in through your identity provider and has no password here.');
      // Hashed outside the transaction: scrypt is slow, and the embedded store has one connection.
      if (!(await verifyPassword(currentPassword, row.password_hash))) throw new AppError('forbidden', 'The current password is wrong.');
      const passwordHash = await hashPassword(newPassword);
      return uow(async (trx, changes) => {
        const updated = await updateLiveUser(trx, userId, { password_hash: passwordHash, updated_at: clock() });
        if (!updated) throw new AppError('unauthorized', 'Invalid token.');
        await appendAudit(trx, { conversationId: null, actorId: userId, action: 'user.password_changed', targetType: 'user', targetId: userId, now: clock() });
        return signOutOthers ? endOtherSessions(userId, currentSessionId, CloseCodes.sessionRevoked, 'password changed', trx, changes) : 0;
      });
    },

    // --- admin -----------------------------------------------------------------------

    async adminCreate(body: AdminCreateUserBody): Promise<AdminUser> {
      const row = await newUserRow(body);
      return toAdminUser(await uow((trx) => insertAudited(trx, row)));
    },

    async adminGet(id: string): Promise<AdminUser> {
      return toAdminUser(await requireUser(id));
    },

    async adminList(cursor: string | undefined, limit: number): Promise<{ users: AdminUser[]; nextCursor: string | null }> {
      // The cursor is the last id of the previous page: anything that is not an id was not made here.
      const afterId = cursor ? decodeCursor(cursor, isIdCursor) : null;
      const rows = await listUsers(kysely, afterId, limit + 1);
      const page = rows.slice(0, limit);
      return { users: page.map(toAdminUser), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.id) : null };
    },

    async adminUpdate(id: string, body: AdminUpdateUserBody): Promise<AdminUser> {
      const row = await requireUser(id);
      if (row.status === 'deleted') throw new AppError('not_found', 'User not found.');
      const patch = {
        ...(body.handle !== undefined ? { handle: body.handle === null ? null : body.handle.toLowerCase() } : {}),
        ...(body.displayName !== undefined ? { display_name: body.displayName } : {}),
        ...(body.password !== undefined ? { password_hash: await hashPassword(body.password) } : {}),
      };
      const updated = await uow(async (trx, changes) => {
        const current = await findUserById(trx, id);
        if (!current || current.status === 'deleted') return undefined;
        // The platform takes a picture down (moderation): audited, and the user's devices hear of it.
        if (body.avatarId === null && current.avatar_id) {
          const now = clock();
          const cleared = await updateLiveUser(trx, id, { avatar_id: null, updated_at: now });
          await pictures?.dropPicture(trx, current.avatar_id, now);
          await auditUser(trx, 'user.updated', id, { fields: ['avatar'] });
          await appendUserEvent(trx, changes, { userId: id, type: 'profile.updated', data: { user: toUser(cleared!) }, now });
          return changeAudited(trx, cleared!, patch);
        }
        return changeAudited(trx, current, patch);
      });
      if (!updated) throw new AppError('not_found', 'User not found.');
      return toAdminUser(updated);
    },

    suspend: (id: string) => setStatus(id, 'suspended'),
    unsuspend: (id: string) => setStatus(id, 'active'),

    /**
     * Deletes an account: the row stays as a tombstone (so messages keep an author and an
     * external token cannot re-create it), personal data is scrubbed, every session is
     * revoked and closed. Leaving conversations is the caller's next step.
     */
    async markDeleted(id: string): Promise<void> {
      await uow(async (trx, changes) => {
        const row = await findUserById(trx, id);
        if (!row || row.status === 'deleted') throw new AppError('not_found', 'User not found.');
        const now = clock();
        await updateUser(trx, id, { status: 'deleted', handle: null, display_name: DELETED_DISPLAY_NAME, password_hash: null, avatar_id: null, updated_at: now });
        // The picture is personal data too: its bytes go after the grace.
        await pictures?.dropPicture(trx, row.avatar_id, now);
        await trx.updateTable('sessions').set({ revoked_at: now, ...NO_PUSH }).where('user_id', '=', id).where('revoked_at', 'is', null).execute();
        changes.closeSessions({ userId: id, sessionId: null, closeCode: CloseCodes.accountDeleted, reason: 'account deleted' });
        await auditUser(trx, 'user.deleted', id);
      });
    },

    /**
     * The last step of deleting an account, once it has left its groups (which wrote to its
     * log): what only its devices could read, and what names it to others, goes (docs/data.md).
     */
    async purgeDeleted(id: string): Promise<void> {
      await uow(async (trx) => {
        // What only this person's devices could read, and what names them to others, goes with
        // the account (docs/data.md): their own log, push tokens, their block list, messages
        // deleted for themselves, the words people search them by. Blocks others made of them
        // are the others' (their logs say so) and stay.
        await trx.updateTable('sessions').set({ push_token: null, push_platform: null, device_name: null }).where('user_id', '=', id).execute();
        await trx.deleteFrom('user_events').where('user_id', '=', id).execute();
        await trx.deleteFrom('blocks').where('blocker_id', '=', id).execute();
        await trx.deleteFrom('hidden_messages').where('user_id', '=', id).execute();
        await trx.deleteFrom('search_terms').where('scope', '=', 'user').where('ref_id', '=', id).execute();
        // Their push settings and the notifications queued for their devices (which carry
        // message previews and device tokens); their own view of the direct conversations
        // that stay (archived, pinned, marked unread); uploads no message uses yet expire now.
        await trx.deleteFrom('push_settings').where('user_id', '=', id).execute();
        await trx.deleteFrom('push_conversation_settings').where('user_id', '=', id).execute();
        await trx.deleteFrom('push_deliveries').where('user_id', '=', id).execute();
        await trx.updateTable('members').set({ archived_at: null, pinned_at: null, marked_unread: 0 }).where('user_id', '=', id).execute();
        await trx.updateTable('uploads').set({ expires_at: clock() }).where('owner_id', '=', id).where('expires_at', 'is not', null).execute();
      });
    },

    /** Signs a user out everywhere: every device session revoked and its sockets closed (do not reconnect). */
    async logoutEverywhere(id: string): Promise<void> {
      await uow(async (trx, changes) => {
        const row = await findUserById(trx, id);
        if (!row || row.status === 'deleted') throw new AppError('not_found', 'User not found.');
        const now = clock();
        await trx.updateTable('sessions').set({ revoked_at: now, ...NO_PUSH }).where('user_id', '=', id).where('revoked_at', 'is', null).execute();
        changes.closeSessions({ userId: id, sessionId: null, closeCode: CloseCodes.sessionRevoked, reason: 'signed out by the platform' });
        await auditUser(trx, 'user.logged_out', id);
      });
    },

    /** Upserts, status changes and deletions in one call; each item succeeds or fails on its own. */
    async adminBulk(body: AdminBulkUsersBody, remove: (id: string) => Promise<void>): Promise<AdminBulkResult[]> {
      const attempt = async (id: string, op: AdminBulkResult['op'], work: () => Promise<unknown>): Promise<AdminBulkResult> => {
        try {
          await work();
          return { id, op, ok: true };
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return { id, op, ok: false, error: toErrorBody(error, '') };
        }
      };
      // One transaction per item, read included (no password here, so nothing slow runs inside it).
      const upsert = (item: NonNullable<AdminBulkUsersBody['upsert']>[number]) => attempt(item.id, 'upsert', () => uow(async (trx) => {
        const existing = await findUserById(trx, item.id);
        if (!existing) return insertAudited(trx, await newUserRow(item));
        const updated = existing.status === 'deleted' ? undefined : await changeAudited(trx, existing, {
          display_name: item.displayName,
          ...(item.handle !== undefined ? { handle: item.handle === null ? null : item.handle.toLowerCase() } : {}),
        });
        if (!updated) throw new AppError('conflict', 'This user was deleted.');
        return updated;
      }));
      const results = await inUserOrder(body.upsert ?? [], upsert);
      for (const id of body.suspend ?? []) results.push(await attempt(id, 'suspend', () => setStatus(id, 'suspended')));
      for (const id of body.unsuspend ?? []) results.push(await attempt(id, 'unsuspend', () => setStatus(id, 'active')));
      for (const id of body.delete ?? []) results.push(await attempt(id, 'delete', () => remove(id)));
      return results;
    },
  };
}
