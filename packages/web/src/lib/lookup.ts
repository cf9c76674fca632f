import { ParleyError, type ParleyClient, type User } from '@parley/sdk';
import { describeError } from './errors.ts';

/** "@Alice " → "alice"-ish input cleanup: handles are matched case-insensitively by the server. */
export function cleanHandle(input: string): string {
  return input.trim().replace(/^@/u, '');
}

/** Finds a user by exact handle; a failure is a sentence for the person. */
export async function findUser(client: ParleyClient, input: string): Promise<{ user: User } | { error: string }> {
  const handle = cleanHandle(input);
  if (!handle) return { error: 'Type a handle.' };
  if (!/^[A-Za-z][A-Za-z0-9_.]{2,31}$/u.test(handle)) return { error: `No one has the handle @${handle}.` };
  try {
    const { user } = await client.http.userByHandle(handle);
    return { user };
  } catch (error) {
    if (error instanceof ParleyError && error.code === 'not_found') return { error: `No one has the handle @${handle}.` };
    return { error: describeError(error) };
  }
}
