import { type Conversation, type Member, type Message, ParleyClient, type Session, type WebSocketLike } from '@parley/sdk';
import { expectOk, http, signIn, type TestUser } from '../../packages/server/test/support/test-app.ts';

/** An SDK client for a test user whose live socket the test can cut at will. */
export interface Device {
  name: string;
  client: ParleyClient;
  user: TestUser;
  /** Drops the current socket as a network failure would (the SDK reconnects). */
  cut(): void;
  /** Every event the SDK emitted: conversation id and seq, in emission order. */
  emitted: Array<{ conversationId: string; seq: number; epoch: number }>;
}

/** What a test may watch of a device's traffic (the fault suites count retries and refusals). */
export interface DeviceOptions {
  fetch?: typeof fetch;
  /** Called with every socket the SDK opens, before it is used. */
  onSocket?: (socket: WebSocket) => void;
}

/** Opens a new device session for the user at `baseUrl` (a node, or a balancer in front of nodes). */
export async function openDevice(baseUrl: string, user: TestUser, name: string, options: DeviceOptions = {}): Promise<Device> {
  const signedIn = await signIn(baseUrl, user.user.id);
  const session: Session = { userId: signedIn.user.id, accessToken: signedIn.token, refreshToken: signedIn.refreshToken, sessionId: signedIn.sessionId };
  let current: WebSocketLike | null = null;
  const client = new ParleyClient({
    baseUrl,
    session,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    requestTimeoutMs: 10_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    createWebSocket: (url) => {
      const socket = new WebSocket(url);
      options.onSocket?.(socket);
      const ws = socket as unknown as WebSocketLike;
      current = ws;
      return ws;
    },
  });
  const emitted: Device['emitted'] = [];
  // A conversation followed again (re-added) starts a new epoch: its events restart from the summary.
  const epochs = new Map<string, number>();
  client.on('conversationAdded', (conversation) => epochs.set(conversation.id, (epochs.get(conversation.id) ?? 0) + 1));
  client.on('reset', ({ conversationId }) => epochs.set(conversationId, (epochs.get(conversationId) ?? 0) + 1));
  client.on('event', (event) => emitted.push({ conversationId: event.conversationId, seq: event.seq, epoch: epochs.get(event.conversationId) ?? 0 }));
  await client.start();
  await client.whenLive();
  return {
    name,
    client,
    user: signedIn,
    emitted,
    cut() {
      current?.close(4000, 'test cut');
    },
  };
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A small seeded PRNG (mulberry32): a failing run can be replayed with its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Everything a device shows about one conversation, normalized for comparison. */
export function conversationShape(summary: Conversation, messages: Message[], members: Member[]) {
  return {
    lastSeq: summary.lastSeq,
    title: summary.title,
    memberCount: summary.memberCount,
    role: summary.role,
    readSeq: summary.readSeq,
    unreadCount: summary.unreadCount,
    lastMessage: summary.lastMessage && { id: summary.lastMessage.id, text: summary.lastMessage.text, deletedAt: summary.lastMessage.deletedAt },
    messages: messages.map((m) => ({ id: m.id, seq: m.seq, text: m.text, editedAt: m.editedAt, deletedAt: m.deletedAt })),
    members: members.map((m) => ({ userId: m.userId, role: m.role })).sort((a, b) => (a.userId < b.userId ? -1 : 1)),
  };
}

/** The same picture fetched fresh from the server (at `baseUrl`), as a newly opened app would see it. */
export async function fetchConversationShape(baseUrl: string, token: string, conversationId: string) {
  const { conversation } = expectOk(await http(baseUrl, 'GET', `/v1/conversations/${conversationId}`, { token }));
  const messages: Message[] = [];
  let after = 0;
  for (;;) {
    const page = expectOk(await http(baseUrl, 'GET', `/v1/conversations/${conversationId}/messages?after=${after}&limit=200`, { token }));
    messages.push(...page.messages);
    if (!page.hasMore) break;
    after = page.messages.at(-1).seq;
  }
  const { members } = expectOk(await http(baseUrl, 'GET', `/v1/conversations/${conversationId}/members?limit=500`, { token }));
  return conversationShape(conversation, messages, members);
}
