import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConversationEvent } from '@parley/protocol';
import { sqliteBackend, type Store } from '../../packages/server/test/support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET, type TestUser } from '../../packages/server/test/support/test-app.ts';
import { type NodeProcess, startNode } from './processes.ts';

/** Concurrent senders per conversation: enough that commits carry several sends each. */
const SENDERS = 12;
/** Acknowledged sends to wait for before the kill, so the kill lands in a busy stream. */
const ACKED_BEFORE_KILL = 400;

interface Ack {
  conversationId: string;
  id: string;
  seq: number;
  clientMsgId: string;
}

/** The whole log of a conversation, page by page. */
async function wholeLog(url: string, user: TestUser, conversationId: string): Promise<ConversationEvent[]> {
  const events: ConversationEvent[] = [];
  for (let after = 0; ;) {
    const page = expectOk(await http(url, 'GET', `/v1/conversations/${conversationId}/events?after=${after}&limit=500`, { token: user.token }), 'reading the log');
    events.push(...page.events);
    if (!page.hasMore) return events;
    after = page.events.at(-1).seq;
  }
}

/**
 * The embedded store's durability with its writer on a thread: a send is acknowledged only
 * after its group commit returned from the disk (synchronous=FULL, WAL), so a process
 * killed with SIGKILL while sends are in flight — commits half-written, batches queued —
 * comes back with every acknowledged message at its seq and no seq missing.
 */
describe('the embedded store killed mid-batch (SIGKILL while sends are in flight)', () => {
  let store: Store;
  let node: NodeProcess | undefined;

  before(async () => {
    store = await sqliteBackend.create();
  });
  after(async () => {
    await node?.stop('SIGKILL');
    await store?.dispose();
  });

  it('keeps every acknowledged message after a restart, and every log stays gap-free', async () => {
    const env = {
      ...store.env, ADMIN_API_KEY: ADMIN_KEY, JWT_SECRET, SQLITE_WRITER: 'thread', SQLITE_SYNCHRONOUS: 'FULL',
      RATE_LIMIT_SENDS_PER_USER: 'off', RATE_LIMIT_SENDS_PER_IP: 'off', OVERLOAD_EVENT_LOOP_LAG_MS: '0',
    };
    node = await startNode(env);
    const alice = await createUser(node.url);
    const bob = await createUser(node.url);
    const carol = await createUser(node.url);
    const direct = expectOk(await http(node.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } })).conversation.id as string;
    const group = expectOk(await http(node.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'group', title: 'crash', memberIds: [bob.user.id, carol.user.id] } })).conversation.id as string;

    const acked: Ack[] = [];
    let failed = 0;
    let stop = false;
    let reachedKillPoint!: () => void;
    const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve));
    const url = node.url;
    // Senders keep a send in flight each until the process dies under them.
    const sender = async (conversationId: string, user: TestUser, name: string) => {
      for (let i = 0; !stop; i++) {
        const clientMsgId = `${name}-${i}`;
        try {
          const result = await http(url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: user.token, body: { clientMsgId, text: `message ${clientMsgId}` } });
          if (result.status !== 200) throw new Error(`send answered ${result.status} ${JSON.stringify(result.body)}`);
          acked.push({ conversationId, id: result.body.message.id, seq: result.body.message.seq, clientMsgId });
          if (acked.length >= ACKED_BEFORE_KILL) reachedKillPoint();
        } catch (error) {
          // Only the kill may stop a send: an answer other than 200 before it is a failure of the test.
          if (!(error instanceof TypeError)) throw error;
          failed++;
          return;
        }
      }
    };
    const senders = [
      ...Array.from({ length: SENDERS }, (_, i) => sender(direct, i % 2 ? alice : bob, `d${i}`)),
      ...Array.from({ length: SENDERS }, (_, i) => sender(group, [alice, bob, carol][i % 3]!, `g${i}`)),
    ];
    const guard = setTimeout(() => reachedKillPoint(), 60_000);
    await killPoint;
    clearTimeout(guard);
    assert.ok(acked.length >= ACKED_BEFORE_KILL, `only ${acked.length} sends were acknowledged within a minute`);
    await node.stop('SIGKILL');
    stop = true;
    await Promise.all(senders);
    const ackedAtKill = acked.length;
    // Senders were mid-request when the process died: the kill was under load.
    assert.ok(failed > 0, 'no send was in flight at the kill');

    node = await startNode(env);
    for (const conversationId of [direct, group]) {
      const log = await wholeLog(node.url, alice, conversationId);
      const seqs = log.map((event) => event.seq);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), `the log of ${conversationId} has no gap`);
      const bySeq = new Map(log.map((event) => [event.seq, event]));
      for (const ack of acked.filter((a) => a.conversationId === conversationId)) {
        const event = bySeq.get(ack.seq);
        assert.equal(event?.type, 'message.created', `acknowledged seq ${ack.seq} is in the log`);
        assert.equal((event.data as { message: { id: string } }).message.id, ack.id, `seq ${ack.seq} holds the acknowledged message`);
      }
      // A retried send of an acknowledged message answers the original (idempotency survived the crash).
      const last = acked.filter((a) => a.conversationId === conversationId).at(-1)!;
      const author: TestUser = [alice, bob, carol].find((u) => log.find((e) => e.seq === last.seq)!.actorId === u.user.id)!;
      const retried: { message: { id: string; seq: number } } = expectOk(await http(node.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: author.token, body: { clientMsgId: last.clientMsgId, text: 'retried' } }));
      assert.equal(retried.message.id, last.id);
      assert.equal(retried.message.seq, last.seq);
    }
    // The server keeps going on the recovered file: a new send takes the next seq.
    const next = expectOk(await http(node.url, 'POST', `/v1/conversations/${direct}/messages`, { token: alice.token, body: { clientMsgId: 'after-restart', text: 'after' } }));
    const directLog = await wholeLog(node.url, alice, direct);
    assert.equal(next.message.seq, directLog.at(-1)!.seq);
    assert.equal(acked.length, ackedAtKill);
  });
});
