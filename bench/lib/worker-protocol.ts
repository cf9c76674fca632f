/** What bench/run.ts and its load-generator processes (bench/loadgen-worker.ts) say over IPC. */
export interface SessionSpec {
  userId: string;
  /** WebSocket URL (Parley's /v1/ws, or the ceiling's /?room=…). */
  url: string;
  /** Sent as the first frame; null for the ceiling. */
  token: string | null;
  /** Where this session's sends go. */
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
      closes: Record<string, number>;
    };
