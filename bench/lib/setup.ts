import { Limits } from '@parley/protocol';
import { ADMIN_KEY } from './servers.ts';
import { benchDisplayName, mintToken } from './tokens.ts';

/** Admin and user HTTP calls that set a scenario up; any failure stops the run with the server's answer. */
async function call<T>(base: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export const userId = (i: number) => `u${i}`;

/** Creates users u0…u(n-1) through the admin bulk API. */
export async function createUsers(base: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += Limits.adminBulkMax) {
    const upsert = Array.from({ length: Math.min(Limits.adminBulkMax, count - from) }, (_, i) => ({ id: userId(from + i), displayName: benchDisplayName(userId(from + i)) }));
    const { results } = await call<{ results: Array<{ ok: boolean; error?: unknown }> }>(base, 'POST', '/v1/admin/users/bulk', ADMIN_KEY, { upsert });
    const failed = results.find((result) => !result.ok);
    if (failed) throw new Error(`bulk user upsert failed: ${JSON.stringify(failed)}`);
  }
}

/** A group or channel owned by u0 with members u1…u(n-1), added in the API's largest batches. */
export async function createConversation(base: string, kind: 'group' | 'channel', members: number): Promise<string> {
  const { conversation } = await call<{ conversation: { id: string } }>(base, 'POST', '/v1/conversations', mintToken(userId(0)), {
    kind,
    title: `Bench ${kind} of ${members}`,
    ...(kind === 'group' ? { memberIds: [] } : {}),
  });
  for (let from = 1; from < members; from += Limits.membersPerRequest) {
    const userIds = Array.from({ length: Math.min(Limits.membersPerRequest, members - from) }, (_, i) => userId(from + i));
    await call(base, 'POST', `/v1/admin/conversations/${conversation.id}/members`, ADMIN_KEY, { userIds });
  }
  return conversation.id;
}

/** Direct conversations between u(2k) and u(2k+1); returns their ids in pair order. */
export async function createDirectPairs(base: string, pairs: number, concurrency = 16): Promise<string[]> {
  const ids = new Array<string>(pairs);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pairs) {
        const k = next++;
        const { conversation } = await call<{ conversation: { id: string } }>(base, 'POST', '/v1/conversations', mintToken(userId(2 * k)), { kind: 'direct', userId: userId(2 * k + 1) });
        ids[k] = conversation.id;
      }
    }),
  );
  return ids;
}

export const wsUrl = (base: string) => `${base.replace(/^http/, 'ws')}/v1/ws`;
