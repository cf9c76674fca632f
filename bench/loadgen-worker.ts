import { CloseCodes } from '@parley/protocol/client';
import { reconnectDelay } from '@parley/sdk';
import { WebSocket } from 'ws';
import { Histogram } from './lib/histogram.ts';
import type { WorkerCommand, WorkerReply, SessionSpec } from './lib/worker-protocol.ts';

/**
 * One load-generator process: holds thousands of sockets (each process may open at most
 * ~19,900 files here), speaks Parley's frames (the ceiling answers the same subset), and
 * measures send-to-deliver latency from the timestamp each message carries in its text.
 * Driven over IPC by bench/run.ts; every loop is bounded in count and time.
 *
 * Message text: `b|<epoch ms with fraction>|<sender seq>`; found in a frame by substring,
 * not JSON.parse, so the generator spends its share of the two cores on sockets.
 */
interface Session {
  spec: SessionSpec;
  socket: WebSocket | null;
  ready: boolean;
  /** Deliberately closed: do not reconnect. */
  closing: boolean;
  attempt: number;
  nextId: number;
}

const sessions: Session[] = [];
let latency = new Histogram();
let delivered = 0;
/** Every frame received, of any kind (what the server pushed in all). */
let frames = 0;
let acked = 0;
let sendErrors = 0;
let sent = 0;
let readyCount = 0;
let reconnects = 0;
let closes = new Map<number, number>();
let reconnect = false;
let lastReadyAt = 0;
const MARK = '"b|';
/** Handshake refusals a first connect sits out before it counts as failed. */
const MAX_FIRST_CONNECT_ATTEMPTS = 12;

const now = () => performance.timeOrigin + performance.now();

function onFrame(session: Session, data: Buffer): void {
  frames++;
  const text = data.toString();
  const at = text.indexOf(MARK);
  if (at !== -1) {
    const end = text.indexOf('|', at + 3);
    const sentAt = Number(text.slice(at + 3, end));
    // The sender's own ack echoes the message too: count only pushed events.
    if (text.startsWith('{"t":"event"')) {
      delivered++;
      latency.recordMs(now() - sentAt);
      return;
    }
  }
  if (text.startsWith('{"t":"ready"')) {
    if (!session.ready) {
      session.ready = true;
      readyCount++;
      lastReadyAt = now();
    }
    session.attempt = 0;
  } else if (text.startsWith('{"t":"ack"') && text.includes('"seq"')) {
    acked++;
  } else if (text.startsWith('{"t":"error"') && !text.includes('"id":null')) {
    sendErrors++;
  }
}

function open(session: Session, localAddress: string | undefined): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(session.spec.url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}), handshakeTimeout: 30_000 });
    session.socket = socket;
    let settled = false;
    let opened = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    socket.on('open', () => {
      opened = true;
      if (session.spec.token) socket.send(JSON.stringify({ t: 'auth', id: 'a', token: session.spec.token }));
      else settle();
    });
    socket.on('message', (data: Buffer) => {
      onFrame(session, data);
      if (session.ready) settle();
    });
    socket.on('error', () => {});
    socket.on('close', (code) => {
      closes.set(code, (closes.get(code) ?? 0) + 1);
      if (session.ready) {
        session.ready = false;
        readyCount--;
      }
      session.socket = null;
      // A first connect refused at the handshake (HTTP 503: the node's connect bound is full) is
      // tried again after the SDK's delay, and counts as connected only once it is ready.
      if (!reconnect && !opened && !session.closing && session.attempt < MAX_FIRST_CONNECT_ATTEMPTS) {
        const delay = reconnectDelay(CloseCodes.tryAgainLater, session.attempt++);
        reconnects++;
        setTimeout(() => {
          if (session.closing) settle();
          else void open(session, localAddress).then(settle);
        }, delay);
        return;
      }
      settle();
      if (reconnect && !session.closing) {
        // The SDK's own schedule (full jitter, 500 ms doubling to 30 s, at least a second after
        // an overload refusal), so the storm is what a restarted cluster would really see.
        // A refused handshake (HTTP 503 in a storm) counts as "try again later", as the SDK does.
        const delay = reconnectDelay(opened ? code : CloseCodes.tryAgainLater, session.attempt++);
        reconnects++;
        setTimeout(() => {
          if (!session.closing) void open(session, localAddress);
        }, delay);
      }
    });
  });
}

async function connectAll(specs: SessionSpec[], localAddress: string | undefined, concurrency: number): Promise<{ ms: number; ready: number }> {
  const started = now();
  const fresh = specs.map((spec): Session => ({ spec, socket: null, ready: false, closing: false, attempt: 0, nextId: 0 }));
  sessions.push(...fresh);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, fresh.length) }, async () => {
      while (next < fresh.length) await open(fresh[next++]!, localAddress);
    }),
  );
  return { ms: now() - started, ready: readyCount };
}

/**
 * Sends at a steady rate for a while from the given sessions (round robin), each into its
 * spec's conversation. Bounded by count (rate × duration) and by time.
 */
async function sendAtRate(senderIndexes: number[], ratePerSecond: number, durationMs: number): Promise<void> {
  if (senderIndexes.length === 0 || ratePerSecond <= 0) return;
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const started = now();
  const tickMs = 5;
  let turn = 0;
  for (let done = 0; done < total; ) {
    const due = Math.min(total, Math.floor(((now() - started) / 1000) * ratePerSecond));
    while (done < due) {
      const session = sessions[senderIndexes[turn++ % senderIndexes.length]!]!;
      done++;
      if (!session.socket || !session.ready) continue;
      const id = ++session.nextId;
      sent++;
      session.socket.send(`{"t":"send","id":"${id}","conversationId":"${session.spec.conversationId}","clientMsgId":"${session.spec.userId}-${id}-${process.pid}","text":"b|${now()}|${id}"}`);
    }
    if (now() - started > durationMs + 5_000) break;
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
}

function stats(reset: boolean): WorkerReply {
  const reply: WorkerReply = {
    type: 'stats',
    latency: latency.toJSON(),
    delivered,
    frames,
    acked,
    sent,
    sendErrors,
    ready: readyCount,
    sessions: sessions.length,
    reconnects,
    lastReadyAt,
    closes: Object.fromEntries(closes),
  };
  if (reset) {
    latency = new Histogram();
    delivered = frames = acked = sent = sendErrors = reconnects = 0;
    closes = new Map();
  }
  return reply;
}

process.on('message', (command: WorkerCommand) => {
  const reply = (message: WorkerReply) => process.send!(message);
  switch (command.type) {
    case 'connect':
      reconnect = command.reconnect;
      void connectAll(command.sessions, command.localAddress, command.concurrency).then((result) => reply({ type: 'connected', ...result }));
      break;
    case 'send':
      void sendAtRate(command.senders, command.ratePerSecond, command.durationMs).then(() => reply({ type: 'sent' }));
      break;
    case 'stats':
      reply(stats(command.reset));
      break;
    case 'close':
      for (const session of sessions) {
        session.closing = true;
        session.socket?.close(1000);
      }
      setTimeout(() => process.exit(0), 500);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
