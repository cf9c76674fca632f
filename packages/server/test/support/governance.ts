import assert from 'node:assert/strict';
import { type Conversation, type ConversationEvent, expandEvent, type Message, type UserEvent } from '@parley/protocol';
import { call, ok } from './api.ts';
import { ADMIN_KEY, http, type HttpResult, type TestApp, type TestUser } from './test-app.ts';
import type { TestSocket } from './ws-client.ts';

/** Shorthands of the governance suites (kinds, moderation, privacy, message features, policy hook, channel scale). */

let clientIds = 0;
export const nextClientId = (prefix = 'g') => `${prefix}-${process.pid}-${++clientIds}`;

/** A request with the admin key. */
export function admin(t: TestApp, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) });
}

export async function adminOk(t: TestApp, method: string, path: string, body?: unknown): Promise<any> {
  const result = await admin(t, method, path, body);
  if (result.status !== 200) throw new Error(`admin ${method} ${path} failed: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Asserts a refusal: the status, the code, and (when given) a message that matches. */
export function refused(result: HttpResult, status: number, code: string, message?: RegExp): any {
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error.code, code, JSON.stringify(result.body));
  if (message) assert.match(result.body.error.message, message);
  return result.body.error;
}

export async function create(t: TestApp, owner: TestUser, body: Record<string, unknown>): Promise<Conversation> {
  return (await ok(t, owner, 'POST', '/v1/conversations', body)).conversation;
}

export async function channel(t: TestApp, owner: TestUser, title: string, subscribers: TestUser[], extra: Record<string, unknown> = {}): Promise<Conversation> {
  return create(t, owner, { kind: 'channel', title, memberIds: subscribers.map((s) => s.user.id), ...extra });
}

export async function view(t: TestApp, user: TestUser, id: string): Promise<Conversation> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}`)).conversation;
}

export function trySend(t: TestApp, user: TestUser, id: string, text: string, clientMsgId = nextClientId()): Promise<HttpResult> {
  return call(t, user, 'POST', `/v1/conversations/${id}/messages`, { clientMsgId, text });
}

export async function send(t: TestApp, user: TestUser, id: string, text: string): Promise<Message> {
  return (await ok(t, user, 'POST', `/v1/conversations/${id}/messages`, { clientMsgId: nextClientId(), text })).message;
}

export async function texts(t: TestApp, user: TestUser, id: string): Promise<Array<string | null>> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}/messages?limit=200`)).messages.map((m: Message) => m.text);
}

export async function members(t: TestApp, user: TestUser, id: string): Promise<Map<string, { role: string; rights: string[]; mutedUntil: string | null }>> {
  const page = await ok(t, user, 'GET', `/v1/conversations/${id}/members?limit=500`);
  return new Map(page.members.map((m: any) => [m.userId, { role: m.role, rights: m.rights, mutedUntil: m.mutedUntil }]));
}

/** A user's own log after `after`. */
export async function userLog(t: TestApp, user: TestUser, after = 0): Promise<UserEvent[]> {
  return (await ok(t, user, 'GET', `/v1/me/events?after=${after}&limit=500`)).events;
}

/** The conversation's log after `after`, one page (tests keep logs short). */
export async function events(t: TestApp, user: TestUser, id: string, after = 0): Promise<ConversationEvent[]> {
  const page = await ok(t, user, 'GET', `/v1/conversations/${id}/events?after=${after}&limit=500`);
  assert.equal(page.hasMore, false);
  return page.events;
}

/** The live event of `type` (matching `match`) on a socket, as the SDK restores it (message events arrive trimmed, see `LiveMessage`). */
export function liveEvent(socket: TestSocket, conversationId: string, type: string, match: (event: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
  return socket.next((f) => f.t === 'event' && f.event.conversationId === conversationId && f.event.type === type && match(expandEvent(f.event)), timeoutMs).then((f) => expandEvent(f.event));
}

export function liveUserEvent(socket: TestSocket, type: string, match: (event: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
  return socket.next((f) => f.t === 'user_event' && f.event.type === type && match(f.event), timeoutMs).then((f) => f.event);
}

/**
 * Asserts a conversation event both ways a member gets it: live on their socket, and in the
 * log (the same seq, type and data). Returns the event.
 */
export async function seenLiveAndInLog(t: TestApp, member: TestUser, socket: TestSocket, conversationId: string, type: string, match: (event: any) => boolean = () => true): Promise<ConversationEvent> {
  const live = await liveEvent(socket, conversationId, type, match);
  const logged = (await events(t, member, conversationId, live.seq - 1)).find((e) => e.seq === live.seq);
  assert.ok(logged, `${type} at seq ${live.seq} is in the log`);
  assert.equal(logged.type, type);
  assert.deepEqual(logged.data, live.data);
  assert.equal(logged.actorId, live.actorId);
  return logged;
}

/** Audit entries of one conversation as a member with view_audit_log sees them. */
export async function conversationAudit(t: TestApp, user: TestUser, id: string): Promise<any[]> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}/audit?limit=200`)).entries;
}

/** The platform's audit log, optionally filtered. */
export async function platformAudit(t: TestApp, query = ''): Promise<any[]> {
  return (await adminOk(t, 'GET', `/v1/admin/audit?limit=200${query ? `&${query}` : ''}`)).entries;
}

/** Finds one audit entry by action and target; fails with the whole log when it is missing. */
export function auditEntry(entries: any[], action: string, targetId?: string): any {
  const found = entries.find((e) => e.action === action && (targetId === undefined || e.targetId === targetId));
  assert.ok(found, `audit has ${action}${targetId ? ` on ${targetId}` : ''}: ${JSON.stringify(entries.map((e) => [e.action, e.targetId]))}`);
  return found;
}

/**
 * A clock the app reads instead of the system's: real time plus an offset that tests move
 * forward (ids and timestamps keep increasing, nothing waits).
 */
export function movableClock(): { clock: () => number; advance(ms: number): void } {
  let offset = 0;
  return {
    clock: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}
