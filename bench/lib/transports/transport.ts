import type { SessionSpec } from '../worker-protocol.ts';
import type { Source } from './source.ts';

/**
 * What a client connection tells the load generator. The accounting (latency histogram,
 * counts, reconnects) lives in bench/loadgen-worker.ts, once for every protocol; a
 * transport only speaks its wire format and reports what it saw.
 */
export interface TransportEvents {
  /** Any frame or packet arrived (what the server pushed in all). */
  frame(): void;
  /** The socket is open (the handshake went through); the session may not be ready yet. */
  opened(): void;
  /** Authenticated and subscribed: the session may send and will receive. */
  ready(): void;
  /** A message pushed to this session, with the sender's clock from its text. */
  delivered(sentAtMs: number): void;
  /** A send of this session was accepted (persisted, for Parley). */
  acked(): void;
  /** A send of this session was refused. */
  sendError(): void;
  /** The connection is gone: a WebSocket close code, or Socket.IO's reason. Called once. */
  closed(reason: number | string): void;
}

export interface Connection {
  /** One chat message into the session's conversation; `id` is unique per session. */
  send(id: number, clientMsgId: string, text: string): void;
  close(): void;
}

/**
 * Where a session's logs stood, kept by the load generator across the session's
 * connections: Parley's client catches up from here after a reconnect (`sync`), as the SDK
 * does. The other protocols keep no log and ignore it.
 */
export interface LogPosition {
  /** False until the first connection was ready: only a reconnect catches up. */
  known: boolean;
  /** The user log's head as of the last `ready` or catch-up. */
  userSeq: number;
  /** The highest seq seen of the session's conversation. */
  after: number;
}

export const newLogPosition = (): LogPosition => ({ known: false, userSeq: 0, after: 0 });

/** `source`: the process's loopback address and local ports (none: the kernel picks). */
export type Transport = (spec: SessionSpec, source: Source | undefined, events: TransportEvents, position: LogPosition) => Connection;

/** Messages carry `b|<sender's epoch ms>|<sender seq>`; the clock is read by substring, without parsing the frame. */
export const MESSAGE_MARK = 'b|';

export function messageText(id: number, nowMs: number): string {
  return `${MESSAGE_MARK}${nowMs}|${id}`;
}

/** The sender's clock in a message text (or a frame holding one) from `at`, the index of the mark. */
export function sentAtOf(text: string, at: number): number {
  const start = at + MESSAGE_MARK.length;
  return Number(text.slice(start, text.indexOf('|', start)));
}
