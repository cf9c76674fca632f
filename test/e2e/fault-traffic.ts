import assert from 'node:assert/strict';
import { ErrorCodes, isErrorCode } from '@parley/protocol';
import type { Message } from '@parley/sdk';
import { createUser, expectOk, http, type TestUser } from '../../packages/server/test/support/test-app.ts';
import { conversationShape, type Device, fetchConversationShape, openDevice, random, waitUntil } from './harness.ts';

/**
 * Continuous chat traffic for the fault suites: SDK devices (two per user) spread over the
 * nodes by the balancer, each sending, editing its own messages, reading history pages and
 * moving its read pointer, until stopped. Every refusal and every retry is counted, so a
 * scenario can say what the clients went through; `verify` then checks that nothing was
 * lost, duplicated or reordered.
 */

const USERS = 4;
const DEVICES_PER_USER = 2;
const PACE_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TrafficCounts {
  sends: number;
  edits: number;
  reads: number;
  readsFailed: number;
  /** Sends whose clientMsgId went out more than once (the SDK retried after a failure). */
  sendsRetried: number;
  /** Retryable refusals the clients received, by error code (HTTP answers and socket error frames). */
  refusals: Record<string, number>;
  /** Requests that never got an answer (connection refused or cut: a node died). */
  networkFailures: number;
  /** Longest time a send took from the call to its acknowledgement. */
  slowestSendMs: number;
}

export class Traffic {
  readonly devices: Device[] = [];
  readonly users: TestUser[] = [];
  readonly acked: Message[] = [];
  conversations: string[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly refusals: Record<string, number> = {};
  private networkFailures = 0;
  private edits = 0;
  private reads = 0;
  private readsFailed = 0;
  private slowestSendMs = 0;
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly failures: Error[] = [];
  private readonly rnd: () => number;
  private readonly baseUrl: string;
  readonly seed: number;

  constructor(baseUrl: string, seed: number) {
    this.baseUrl = baseUrl;
    this.seed = seed;
    this.rnd = random(seed);
  }

  /** Creates the users, their devices, a group of everyone and a direct conversation; waits until every device follows both. */
  async open(): Promise<void> {
    for (let i = 0; i < USERS; i++) this.users.push(await createUser(this.baseUrl));
    for (const user of this.users) {
      for (let d = 0; d < DEVICES_PER_USER; d++) this.devices.push(await openDevice(this.baseUrl, user, `${user.user.handle}#${d}`, this.watch()));
    }
    const [first] = this.devices as [Device];
    const group = await first.client.createGroup('faults', this.users.slice(1).map((u) => u.user.id));
    const direct = await first.client.createDirect(this.users[1]!.user.id);
    this.conversations = [group.id, direct.id];
    await waitUntil(() => this.devices.every((d) => this.following(d).length === this.expectedFor(d).length), 20_000, 'every device to follow its conversations');
    for (const device of this.devices) {
      for (const id of this.following(device)) {
        await device.client.loadMessages(id, 200);
        await device.client.loadMembers(id);
      }
    }
  }

  private expectedFor(device: Device): string[] {
    const [group, direct] = this.conversations as [string, string];
    const inDirect = device.user.user.id === this.users[0]!.user.id || device.user.user.id === this.users[1]!.user.id;
    return inDirect ? [group, direct] : [group];
  }

  private following(device: Device): string[] {
    return this.conversations.filter((id) => device.client.store.has(id));
  }

  /** Counts what goes over the wire: clientMsgIds sent (to see retries) and retryable refusals. */
  private watch() {
    const countAttempt = (clientMsgId: unknown) => {
      if (typeof clientMsgId === 'string') this.attempts.set(clientMsgId, (this.attempts.get(clientMsgId) ?? 0) + 1);
    };
    const countRefusal = (code: unknown) => {
      if (typeof code === 'string') this.refusals[code] = (this.refusals[code] ?? 0) + 1;
    };
    return {
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        if (init?.method === 'POST' && typeof init.body === 'string' && String(input).endsWith('/messages')) countAttempt(JSON.parse(init.body).clientMsgId);
        let response: Response;
        try {
          response = await fetch(input, init);
        } catch (error) {
          this.networkFailures++;
          throw error;
        }
        if (response.status >= 500 || response.status === 429) countRefusal(((await response.clone().json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code ?? `http_${response.status}`);
        return response;
      }) as typeof fetch,
      onSocket: (socket: WebSocket) => {
        const send = socket.send.bind(socket);
        socket.send = (data) => {
          if (typeof data === 'string' && data.startsWith('{"t":"send"')) countAttempt((JSON.parse(data) as { clientMsgId?: string }).clientMsgId);
          send(data);
        };
        socket.addEventListener('message', (event) => {
          if (typeof event.data !== 'string' || !event.data.startsWith('{"t":"error"')) return;
          // An error frame carries its code only: whether a retry can help is a property of the code.
          const code = (JSON.parse(event.data) as { error?: { code?: string } }).error?.code;
          if (isErrorCode(code) && ErrorCodes[code].retryable) countRefusal(code);
        });
      },
    };
  }

  start(): void {
    this.running = true;
    this.loops = this.devices.map((device, i) => this.run(device, i));
  }

  private async run(device: Device, index: number): Promise<void> {
    await sleep((index * PACE_MS) / this.devices.length);
    const mine: Message[] = [];
    for (let n = 0; this.running; n++) {
      const ids = this.following(device);
      const id = ids[Math.floor(this.rnd() * ids.length)]!;
      const roll = this.rnd();
      try {
        if (roll < 0.6 || !mine.length) {
          const started = Date.now();
          const message = await device.client.sendMessage(id, `${device.name} ${n}`);
          this.slowestSendMs = Math.max(this.slowestSendMs, Date.now() - started);
          this.acked.push(message);
          mine.push(message);
        } else if (roll < 0.8) {
          const target = mine[Math.floor(this.rnd() * mine.length)]!;
          await device.client.editMessage(target.conversationId, target.id, `${device.name} edited at ${n}`);
          this.edits++;
        } else if (roll < 0.95) {
          // A read the way an app scrolls: a page of history. It is not retried, so an outage may fail it.
          try {
            await device.client.http.messages(id, { limit: 20 });
            this.reads++;
          } catch (error) {
            if (!(error as { retryable?: boolean }).retryable) throw error;
            this.readsFailed++;
          }
        } else {
          await device.client.markRead(id);
        }
      } catch (error) {
        this.failures.push(new Error(`${device.name}: ${(error as Error).message}`, { cause: error }));
        return;
      }
      await sleep(PACE_MS);
    }
  }

  /** Stops the traffic; every command still running (retrying through an outage) must finish. */
  async stop(deadlineMs = 60_000): Promise<void> {
    this.running = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.loops), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('commands still unanswered after the traffic stopped')), deadlineMs)))]);
    clearTimeout(timer);
    assert.deepEqual(this.failures.map((e) => e.message), [], 'no command failed for good');
  }

  counts(): TrafficCounts {
    return {
      sends: this.acked.length,
      edits: this.edits,
      reads: this.reads,
      readsFailed: this.readsFailed,
      sendsRetried: [...this.attempts.values()].filter((n) => n > 1).length,
      refusals: { ...this.refusals },
      networkFailures: this.networkFailures,
      slowestSendMs: this.slowestSendMs,
    };
  }

  /**
   * Sends one message now (retried by the SDK until acknowledged) and waits until every
   * device has shown it: how long after a fault a message reaches everyone.
   */
  async probe(timeoutMs = 60_000): Promise<{ ackMs: number; everyoneMs: number }> {
    const started = Date.now();
    const [sender] = this.devices as [Device];
    const group = this.conversations[0]!;
    const message = await sender.client.sendMessage(group, `probe ${started}`);
    this.acked.push(message);
    const ackMs = Date.now() - started;
    await waitUntil(() => this.devices.every((d) => d.emitted.some((e) => e.conversationId === group && e.seq === message.seq)), timeoutMs, `every device to show the probe (seed ${this.seed})`);
    return { ackMs, everyoneMs: Date.now() - started };
  }

  /**
   * After the traffic stopped: the server stored every acknowledged message once and nothing
   * else, and every device shows exactly what a fresh fetch shows, having applied every
   * event once and in order.
   */
  async verify(baseUrl: string): Promise<void> {
    const owner = this.users[0]!;
    const stored: string[] = [];
    for (const id of this.conversations) {
      for (let after = 0; ;) {
        const page = expectOk(await http(baseUrl, 'GET', `/v1/conversations/${id}/messages?after=${after}&limit=200`, { token: owner.token }));
        stored.push(...page.messages.map((m: Message) => m.clientMsgId));
        if (!page.hasMore) break;
        after = page.messages.at(-1).seq;
      }
    }
    assert.equal(new Set(stored).size, stored.length, 'no message stored twice');
    assert.deepEqual([...stored].sort(), this.acked.map((m) => m.clientMsgId).sort(), 'exactly the acknowledged messages are stored');

    for (const device of this.devices) {
      await waitUntil(async () => {
        if (device.client.status !== 'live') return false;
        const heads = expectOk(await http(baseUrl, 'GET', '/v1/me/heads', { token: device.user.token }));
        return heads.conversations.every((h: { id: string; lastSeq: number }) => device.client.store.get(h.id)?.summary.lastSeq === h.lastSeq);
      }, 30_000, `${device.name} to catch up (seed ${this.seed})`);
    }
    for (const device of this.devices) {
      for (const id of this.expectedFor(device)) {
        const local = () => {
          const state = device.client.store.get(id)!;
          return conversationShape(state.summary, state.messages ?? [], [...(state.members?.values() ?? [])]);
        };
        // A summary refresh (after a read pointer moved) may still be on its way: wait for agreement, then assert it.
        let fresh = await fetchConversationShape(baseUrl, device.user.token, id);
        await waitUntil(async () => {
          fresh = await fetchConversationShape(baseUrl, device.user.token, id);
          return JSON.stringify(local()) === JSON.stringify(fresh);
        }, 15_000, `${device.name} to agree with a fresh fetch`).catch(() => {});
        assert.deepEqual(local(), fresh, `${device.name} differs from a fresh fetch of ${id === this.conversations[0] ? 'the group' : 'the direct chat'} (seed ${this.seed})`);
        assert.equal(device.client.store.get(id)!.pending.length, 0, `${device.name} still has pending sends`);
      }
      // Within one epoch of following a conversation, seqs go up by exactly one: no gap, no duplicate, no reordering.
      const byEpoch = new Map<string, number[]>();
      for (const { conversationId, seq, epoch } of device.emitted) {
        const key = `${conversationId}#${epoch}`;
        byEpoch.set(key, [...(byEpoch.get(key) ?? []), seq]);
      }
      for (const [key, seqs] of byEpoch) {
        for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `${device.name} ${key}: seq ${seqs[i]} after ${seqs[i - 1]} (seed ${this.seed})`);
      }
    }
  }

  close(): void {
    this.running = false;
    for (const device of this.devices) device.client.stop();
  }
}
