/**
 * Which server a session talks to, and so which client the load generator speaks:
 * Parley's frames, the bare `ws` relay (bench/ceiling-server.ts, a subset of Parley's
 * frames without auth) or Socket.IO 4 (bench/socketio-server.ts, through socket.io-client).
 */
export type Protocol = 'parley' | 'relay' | 'socketio';

/** What bench/run.ts and its load-generator processes (bench/loadgen-worker.ts) say over IPC. */
export interface SessionSpec {
  protocol: Protocol;
  userId: string;
  /** Parley's ws://…/v1/ws, the relay's ws://…/?room=…, or the Socket.IO server's http://… */
  url: string;
  /** Parley: sent as the first frame; Socket.IO: the handshake's `auth.token`; unused by the relay. */
  token: string | null;
  /** Where this session's sends go (Socket.IO: also the room it asks to join at the handshake). */
  conversationId: string;
}

export type WorkerCommand =
  | { type: 'connect'; sessions: SessionSpec[]; localAddress?: string; concurrency: number; reconnect: boolean }
  | { type: 'send'; senders: number[]; ratePerSecond: number; durationMs: number }
  | { type: 'stats'; reset: boolean }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'connected'; ms: number; ready: number }
  | { type: 'sent' }
  | {
      type: 'stats';
      latency: { counts: number[]; max: number };
      delivered: number;
      /** Every frame received, of any kind. */
      frames: number;
      acked: number;
      sent: number;
      sendErrors: number;
      ready: number;
      sessions: number;
      reconnects: number;
      lastReadyAt: number;
      /** Why sockets closed: a WebSocket close code, or Socket.IO's disconnect reason. */
      closes: Record<string, number>;
    };
