import type { Conversation, ConversationEvent } from '@parley/protocol';
import { expectOk, http, type HttpResult, type TestApp, type TestUser } from './test-app.ts';

/** Shorthands the server suites share: a user's request, a request that must succeed, and common setups. */
export function call(t: TestApp, user: TestUser, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return http(t.url, method, path, { token: user.token, ...(body !== undefined ? { body } : {}) });
}

export async function ok(t: TestApp, user: TestUser, method: string, path: string, body?: unknown): Promise<any> {
  return expectOk(await call(t, user, method, path, body), `${method} ${path}`);
}

export async function direct(t: TestApp, a: TestUser, b: TestUser): Promise<Conversation> {
  return (await ok(t, a, 'POST', '/v1/conversations', { kind: 'direct', userId: b.user.id })).conversation;
}

export async function group(t: TestApp, owner: TestUser, title: string, members: TestUser[]): Promise<Conversation> {
  return (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'group', title, memberIds: members.map((m) => m.user.id) })).conversation;
}

/** A conversation's whole log after `from`, paging through it. */
export async function conversationLog(t: TestApp, user: TestUser, id: string, from = 0): Promise<ConversationEvent[]> {
  const events: ConversationEvent[] = [];
  let afterSeq = from;
  for (;;) {
    const page = await ok(t, user, 'GET', `/v1/conversations/${id}/events?after=${afterSeq}&limit=500`);
    events.push(...page.events);
    if (!page.hasMore) return events;
    afterSeq = page.events.at(-1).seq;
  }
}

/** Polls until `check` holds; fails with `what` after the deadline. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
