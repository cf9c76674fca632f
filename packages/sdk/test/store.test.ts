import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conversation, User } from '@parley/protocol';
import { ChatStore } from '../src/store.ts';

const at = '2025-01-01T00:00:00.000Z';

function summary(id: string): Conversation {
  return {
    id,
    kind: 'group',
    visibility: 'private',
    handle: null,
    title: 'Group',
    description: null,
    settings: { memberRights: [], slowModeSec: 0, protectedContent: false, joinApproval: false },
    createdAt: at,
    lastSeq: 1,
    lastActivityAt: at,
    memberCount: 2,
    role: 'owner',
    rights: [],
    mutedUntil: null,
    readSeq: 1,
    unreadCount: 0,
    peer: null,
    lastMessage: null,
    pinnedMessageIds: [],
    peerReceipts: null,
  };
}

/** Every `change` the store emits, in order. */
function changesOf(store: ChatStore): Array<string | null> {
  const changes: Array<string | null> = [];
  store.on('change', (id) => changes.push(id));
  return changes;
}

describe('the chat store', () => {
  it('takes your saved profile at once and tells the list', () => {
    const store = new ChatStore();
    const changes = changesOf(store);
    const me: User = { id: 'u1', handle: 'alice', displayName: 'Alice Liddell' };
    store.putMe(me);
    assert.deepEqual(store.me, me);
    assert.deepEqual(changes, [null]);
  });

  it('forgets a discarded send and keeps the others', () => {
    const store = new ChatStore();
    store.putSummary(summary('c1'));
    const pending = (clientMsgId: string, error: string | null) => ({ clientMsgId, text: clientMsgId, replyTo: null, createdAt: at, error });
    store.addPending('c1', pending('a', 'refused'));
    store.addPending('c1', pending('b', null));
    const changes = changesOf(store);
    store.discardPending('c1', 'a');
    assert.deepEqual(store.get('c1')!.pending.map((p) => p.clientMsgId), ['b']);
    assert.deepEqual(changes, ['c1']);
  });

  it('ignores a discard in a conversation it does not hold', () => {
    const store = new ChatStore();
    const changes = changesOf(store);
    store.discardPending('missing', 'a');
    assert.deepEqual(changes, []);
  });
  it('keeps a staff-only member list to the staff: subscribers who join are counted, not listed, and a member demoted below the staff leaves it', () => {
    const store = new ChatStore();
    store.putSummary({ ...summary('c1'), kind: 'channel', role: 'subscriber', memberCount: 3 });
    const member = (userId: string, role: 'owner' | 'moderator') => ({ userId, role, rights: [], mutedUntil: null, joinedAt: at, user: { id: userId, handle: null, displayName: userId } });
    store.putMembers('c1', [member('owner', 'owner'), member('mod', 'moderator')], true, 'staff');
    const event = { conversationId: 'c1', actorId: null, createdAt: at };
    store.applyEvent({ ...event, seq: 2, type: 'members.added', data: { userIds: ['fan'], role: 'subscriber' } } as never);
    assert.deepEqual([...store.get('c1')!.members!.keys()], ['owner', 'mod']);
    assert.equal(store.get('c1')!.summary.memberCount, 4);
    store.applyEvent({ ...event, seq: 3, type: 'member.role_changed', data: { userId: 'mod', role: 'subscriber', rights: [] } } as never);
    assert.deepEqual([...store.get('c1')!.members!.keys()], ['owner']);
    assert.equal(store.get('c1')!.membersScope, 'staff');
  });

  it('applies your own view from the user log: pinned first, archived apart, history cleared and messages hidden stay gone', () => {
    const store = new ChatStore();
    for (const id of ['c1', 'c2', 'c3']) store.putSummary({ ...summary(id), lastActivityAt: `2025-01-0${id.slice(1)}T00:00:00.000Z` });
    assert.deepEqual(store.list().map((s) => s.summary.id), ['c3', 'c2', 'c1']);
    const prefs = (conversationId: string, extra: object) => ({ conversationId, archived: false, pinnedAt: null, markedUnread: false, clearedSeq: 0, ...extra });
    store.applyUserEvent({ seq: 1, type: 'conversation.prefs', createdAt: at, data: prefs('c1', { pinnedAt: at }) });
    store.applyUserEvent({ seq: 2, type: 'conversation.prefs', createdAt: at, data: prefs('c3', { archived: true }) });
    assert.deepEqual(store.list('inbox').map((s) => s.summary.id), ['c1', 'c2']);
    assert.deepEqual(store.list('archived').map((s) => s.summary.id), ['c3']);
    const message = (id: string, seq: number) => ({ id, conversationId: 'c2', seq, senderId: 'u2', clientMsgId: id, text: id, replyTo: null, createdAt: at, editedAt: null, deletedAt: null, forwardedFrom: null, reactions: [], attachments: [], mentions: [] });
    store.putMessages('c2', [message('m1', 1), message('m2', 2), message('m3', 3)], false);
    store.applyUserEvent({ seq: 3, type: 'messages.hidden', createdAt: at, data: { conversationId: 'c2', messageIds: ['m3'] } });
    store.applyUserEvent({ seq: 4, type: 'conversation.prefs', createdAt: at, data: prefs('c2', { clearedSeq: 1 }) });
    assert.deepEqual(store.get('c2')!.messages!.map((m) => m.id), ['m2']);
    // Events of the shared log (an edit of a hidden message, a page overlapping the cleared part) do not bring them back.
    store.applyEvent({ conversationId: 'c2', seq: 5, type: 'message.edited', actorId: 'u2', createdAt: at, data: { message: { ...message('m3', 3), text: 'edited' } } });
    store.putMessages('c2', [message('m1', 1), message('m3', 3)]);
    assert.deepEqual(store.get('c2')!.messages!.map((m) => m.id), ['m2']);
    assert.equal(store.isHiddenForMe('c2', message('m1', 1)), true);
  });
});
