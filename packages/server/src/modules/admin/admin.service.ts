import type { ExportsService } from '../exports/index.ts';
import type { MembershipService } from '../membership/index.ts';
import type { UsersService } from '../users/index.ts';

export type AdminService = ReturnType<typeof createAdminService>;

/** Admin operations that span modules. */
export function createAdminService({ users, membership, exports }: { users: UsersService; membership: MembershipService; exports: ExportsService }) {
  async function deleteUser(id: string): Promise<void> {
    // First the account (sessions closed, tokens refused), then the groups, one
    // transaction each: a user in thousands of groups never holds one long lock.
    await users.markDeleted(id);
    await membership.removeUserEverywhere(id);
    await users.purgeDeleted(id);
    // Archives of their data, built or on their way (docs/data.md: what deletion removes).
    await exports.forget(id);
  }
  return { deleteUser };
}
