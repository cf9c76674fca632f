import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conversation, ConversationEvent, Presence } from '@parley/protocol';
import { LiveState } from '../src/live.ts';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host whose socket requests are recorded and answered by the test. */
function harness(options: { open?: boolean; kinds?: Record<string, 'direct' | 'group' | 'channel'> } = {}) {
  const requests: Array<{ type: string; payload: any; resolve: (value: any) => void; reject: (error: Error) => void }> = [];
  const emitted = { typing: [] as Array<[string, string[]]>, presence: [] as Presence[], receipts: [] as unknown[] };
  let open = options.open ?? true;
  const live = new LiveState({
    isOpen: () => open,
    request: ((type: string, payload: any) => new Promise((resolve, reject) => requests.push({ type, payload, resolve, reject }))) as never,
    meId: () => 'me',
    summary: (id) => ({ id, kind: options.kinds?.[id] ?? 'direct' }) as Conversation,
    directPeers: () => ['peer'],
    directConversations: () => [],
    emitTyping: (id, users) => emitted.typing.push([id, users]),
    emitPresence: (presence) => emitted.presence.push(presence),
    emitReceipt: (receipt) => emitted.receipts.push(receipt),
  }, { deliveryAckDelayMs: 20, typingIntervalMs: 50 });
  return { live, requests, emitted, setOpen: (value: boolean) => (open = value) };
}

const message = (conversationId: string, seq: number, senderId: string): ConversationEvent => ({
  conversationId, seq, type: 'message.created', actorId: senderId, createdAt: new Date().toISOString(),
  data: { message: { id: `m${seq}`, conversationId, seq, senderId, clientMsgId: `c${seq}`, text: 'x', replyTo: null, createdAt: '', editedAt: null, deletedAt: null, forwardedFrom: null, reactions: [], attachments: [], mentions: [] } },
}) as ConversationEvent;

describe('the live state (receipts, typing, presence)', () => {
  it('shows a typing user until the frame\'s lifetime passes, renews it on a repeat, and ends it at their message', async () => {
    const { live, emitted } = harness();
    live.onTyping({ t: 'typing', conversationId: 'c1', userId: 'u1', typing: true, expiresInMs: 40 });
    assert.deepEqual(live.typingUsers('c1'), ['u1']);
    await tick(25);
    live.onTyping({ t: 'typing', conversationId: 'c1', userId: 'u1', typing: true, expiresInMs: 40 });
    await tick(25);
    assert.deepEqual(live.typingUsers('c1'), ['u1'], 'renewed');
    await tick(30);
    assert.deepEqual(live.typingUsers('c1'), [], 'expired on its own');
    live.onTyping({ t: 'typing', conversationId: 'c1', userId: 'u2', typing: true, expiresInMs: 1_000 });
    live.onEvent(message('c1', 7, 'u2'));
    assert.deepEqual(live.typingUsers('c1'), [], 'their message ends it');
    live.onTyping({ t: 'typing', conversationId: 'c1', userId: 'me', typing: true, expiresInMs: 1_000 });
    assert.deepEqual(live.typingUsers('c1'), [], 'never shows yourself');
    assert.deepEqual(emitted.typing, [['c1', ['u1']], ['c1', []], ['c1', ['u2']], ['c1', []]]);
    live.stop();
  });

  it('renews its own typing at most once per interval and says stop only after a start', async () => {
    const { live, requests } = harness();
    live.stopTyping('c1');
    for (let i = 0; i < 5; i++) live.notifyTyping('c1');
    await tick(60);
    live.notifyTyping('c1');
    live.stopTyping('c1');
    assert.deepEqual(requests.map((r) => [r.type, r.payload.typing]), [['typing', true], ['typing', true], ['typing', false]]);
  });

  it('acknowledges delivery in one batch per delay with the highest seq per conversation, never for its own messages or channels, and keeps a failed batch', async () => {
    const { live, requests, setOpen } = harness({ kinds: { news: 'channel' } });
    live.onEvent(message('c1', 3, 'u1'));
    live.onEvent(message('c1', 5, 'u1'));
    live.onEvent(message('c2', 9, 'u2'));
    live.onEvent(message('c1', 6, 'me'));
    live.onEvent(message('news', 4, 'u3'));
    assert.equal(requests.length, 0, 'batched, not one frame per event');
    await tick(40);
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]!.payload, { conversations: [{ id: 'c1', seq: 5 }, { id: 'c2', seq: 9 }] });
    requests[0]!.reject(new Error('disconnected'));
    await tick();
    setOpen(false);
    live.onEvent(message('c1', 8, 'u1'));
    await tick(40);
    assert.equal(requests.length, 1, 'nothing sent while disconnected');
    setOpen(true);
    live.flushAcks();
    assert.deepEqual(requests[1]!.payload, { conversations: [{ id: 'c1', seq: 8 }, { id: 'c2', seq: 9 }] }, 'the failed batch is merged into the next');
    live.stop();
  });

  it('lets a presence change pushed while a query was out win over the query\'s answer', async () => {
    const { live, requests } = harness();
    const ready = live.onReady();
    const query = requests.find((r) => r.type === 'presence')!;
    assert.deepEqual(query.payload, { userIds: ['peer'] });
    live.onPresence({ userId: 'peer', status: 'offline', lastSeenAt: '2026-01-01T00:00:00.000Z' });
    query.resolve({ presence: [{ userId: 'peer', status: 'online', lastSeenAt: null }] });
    for (const other of requests.filter((r) => r !== query)) other.resolve({ presence: [], receipts: [] });
    await ready;
    assert.equal(live.presenceOf('peer')!.status, 'offline');
  });

  it('keeps receipt pointers growing only, and tells sent / delivered / read from them', () => {
    const { live, emitted } = harness();
    live.onReceipt({ t: 'receipt', conversationId: 'c1', userId: 'peer', deliveredSeq: 5, readSeq: 3 });
    live.onReceipt({ t: 'receipt', conversationId: 'c1', userId: 'peer', deliveredSeq: 4, readSeq: 2 });
    assert.deepEqual(live.receipts('c1').get('peer'), { deliveredSeq: 5, readSeq: 3 });
    assert.equal(emitted.receipts.length, 1, 'an older receipt changes nothing');
    assert.equal(live.messageStatus('c1', { seq: 3, senderId: 'me' }), 'read');
    assert.equal(live.messageStatus('c1', { seq: 5, senderId: 'me' }), 'delivered');
    assert.equal(live.messageStatus('c1', { seq: 6, senderId: 'me' }), 'sent');
    live.onSummary({ id: 'c1', peer: { id: 'peer', handle: null, displayName: 'P' }, peerReceipts: { deliveredSeq: 7, readSeq: 6 } } as Conversation);
    assert.equal(live.messageStatus('c1', { seq: 6, senderId: 'me' }), 'read');
  });
});
