import { CloseCodes } from '@parley/protocol/client';
import { reconnectDelay } from '@parley/sdk';
import { Histogram } from './lib/histogram.ts';
import { parleyTransport } from './lib/transports/parley.ts';
import { relayTransport } from './lib/transports/relay.ts';
import { Source } from './lib/transports/source.ts';
import { socketIoTransport } from './lib/transports/socketio.ts';
import { type Connection, type LogPosition, messageText, newLogPosition, type Transport } from './lib/transports/transport.ts';
import type { Protocol, WorkerCommand, WorkerReply, SessionSpec } from './lib/worker-protocol.ts';

/**
 * One load-generator process: holds thousands of sockets (each process may open at most
 * ~19,900 files here) and measures send-to-deliver latency from the timestamp each message
 * carries in its text. The wire format is the session's transport (Parley, the bare relay
 * or Socket.IO, bench/lib/transports/); the accounting below is the same for all three.
 * Driven over IPC by bench/run.ts; every loop is bounded in count and time.
 */
interface Session {
  spec: SessionSpec;
  connection: Connection | null;
  ready: boolean;
  /** Deliberately closed: do not reconnect. */
  closing: boolean;
  attempt: number;
  nextId: number;
  /** Where its logs stood, across its connections (a reconnect catches up from here). */
  position: LogPosition;
}

const TRANSPORTS: Record<Protocol, Transport> = { parley: parleyTransport, relay: relayTransport, socketio: socketIoTransport };

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
let closes = new Map<string, number>();
let reconnect = false;
let lastReadyAt = 0;
/** This process's address and the local ports it hands out (the same for every connect command). */
let source: Source | undefined;
/** Handshake refusals a first connect sits out before it counts as failed. */
const MAX_FIRST_CONNECT_ATTEMPTS = 12;

const now = () => performance.timeOrigin + performance.now();

function open(session: Session, source: Source | undefined): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    let opened = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    session.connection = TRANSPORTS[session.spec.protocol](session.spec, source, {
      frame: () => frames++,
      opened: () => {
        opened = true;
      },
      ready: () => {
        if (!session.ready) {
          session.ready = true;
          readyCount++;
          lastReadyAt = now();
        }
        session.attempt = 0;
        settle();
      },
      delivered: (sentAtMs) => {
        delivered++;
        latency.recordMs(now() - sentAtMs);
      },
      acked: () => acked++,
      sendError: () => sendErrors++,
      closed: (reason) => {
        closes.set(String(reason), (closes.get(String(reason)) ?? 0) + 1);
        if (session.ready) {
          session.ready = false;
          readyCount--;
        }
        session.connection = null;
        // Socket.IO reports reasons, not codes: a lost connection is "abnormal closure" to the SDK's schedule.
        const code = typeof reason === 'number' ? reason : CloseCodes.abnormal;
        // A first connect refused at the handshake (HTTP 503: the node's connect bound is full) is
        // tried again after the SDK's delay, and counts as connected only once it is ready.
        if (!reconnect && !opened && !session.closing && session.attempt < MAX_FIRST_CONNECT_ATTEMPTS) {
          const delay = reconnectDelay(CloseCodes.tryAgainLater, session.attempt++);
          reconnects++;
          setTimeout(() => {
            if (session.closing) settle();
            else void open(session, source).then(settle);
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
            if (!session.closing) void open(session, source);
          }, delay);
        }
      },
    }, session.position);
  });
}

async function connectAll(specs: SessionSpec[], source: Source | undefined, concurrency: number): Promise<{ ms: number; ready: number }> {
  const started = now();
  const fresh = specs.map((spec): Session => ({ spec, connection: null, ready: false, closing: false, attempt: 0, nextId: 0, position: newLogPosition() }));
  sessions.push(...fresh);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, fresh.length) }, async () => {
      while (next < fresh.length) await open(fresh[next++]!, source);
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
      if (!session.connection || !session.ready) continue;
      const id = ++session.nextId;
      sent++;
      session.connection.send(id, `${session.spec.userId}-${id}-${process.pid}`, messageText(id, now()));
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
      source ??= command.localAddress ? new Source(command.localAddress) : undefined;
      void connectAll(command.sessions, source, command.concurrency).then((result) => reply({ type: 'connected', ...result }));
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
        session.connection?.close();
      }
      setTimeout(() => process.exit(0), 500);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
