import type { ConversationsService } from '../conversations/index.ts';
import type { UsersService } from '../users/index.ts';

export type AdminService = ReturnType<typeof createAdminService>;

/** Admin operations that span modules. */
export function createAdminService({ users, conversations }: { users: UsersService; conversations: ConversationsService }) {
  async function deleteUser(id: string): Promise<void> {
    // First the account (sessions closed, tokens refused), then the groups, one
    // transaction each: a user in thousands of groups never holds one long lock.
    await users.markDeleted(id);
    await conversations.removeUserEverywhere(id);
  }
  return { deleteUser };
}
