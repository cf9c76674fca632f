import type { AckDataOf, ClientFrameOf, ClientFrameType, ReadyFrame, ServerFrame } from '@parley/protocol';
import { closeClass, CloseCodes } from '@parley/protocol/client';
import { DEFAULT_BACKOFF, DEFAULT_CONNECT_TIMEOUT_MS, reconnectDelay } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import type { TokenSource } from './http.ts';

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

export interface SocketEvents extends Record<string, unknown[]> {
  /** Authenticated and subscribed: time to sync. */
  ready: [ReadyFrame];
  /** Pushed frames: `event`, `user_event`, `resync`. */
  push: [ServerFrame];
  status: [SocketStatus];
  /** Terminal: the server said not to reconnect (or the tokens are gone). */
  stopped: [{ code: number; reason: string }];
}

/** The parts of the WebSocket API the SDK uses; the browser's and Node's global one both fit. */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SocketOptions {
  url: string;
  tokens: TokenSource;
  createWebSocket?: WebSocketFactory;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  requestTimeoutMs?: number;
  /** From opening a socket to `ready`; past it the attempt is dropped and retried (`DEFAULT_CONNECT_TIMEOUT_MS`). */
  connectTimeoutMs?: number;
  random?: () => number;
}

type RequestPayload<T extends ClientFrameType> = Omit<ClientFrameOf<T>, 't' | 'id'>;

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: ParleyError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/**
 * One logical realtime connection that survives disconnects: authenticates with the
 * first frame (so tokens stay out of URLs and logs), answers requests by id, keeps
 * itself alive with application pings, and reconnects by the class of the close code:
 * resume (jittered backoff), reauth (renew the token first) or terminal (stop).
 */
export class RealtimeSocket extends Emitter<SocketEvents> {
  status: SocketStatus = 'idle';
  private ws: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  /** Set while a connect is on its way to `ready`. */
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatMs = 25_000;
  /** The access token the current socket authenticated with. */
  private socketToken: string | null = null;
  private readonly options: Required<Omit<SocketOptions, 'createWebSocket'>> & { createWebSocket: WebSocketFactory };

  constructor(options: SocketOptions) {
    super();
    this.options = {
      backoffBaseMs: DEFAULT_BACKOFF.baseMs,
      backoffMaxMs: DEFAULT_BACKOFF.maxMs,
      requestTimeoutMs: 15_000,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      random: Math.random,
      createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      ...options,
    };
  }

  get isOpen(): boolean {
    return this.status === 'open';
  }

  start(): void {
    if (this.status !== 'idle' && this.status !== 'stopped') return;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.setStatus('stopped');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropConnection(CloseCodes.normal, 'client stopped');
  }

  /** Reconnect now (for example when the device comes back online), skipping the backoff. */
  nudge(): void {
    if (this.status !== 'waiting') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    void this.connect();
  }

  request<T extends Exclude<ClientFrameType, 'auth'>>(type: T, payload: RequestPayload<T>, timeoutMs = this.options.requestTimeoutMs): Promise<AckDataOf<T>> {
    const ws = this.ws;
    if (!ws || this.status !== 'open' || ws.readyState !== OPEN) return Promise.reject(new ParleyError('disconnected', 'not connected'));
    return this.rawRequest(ws, type, payload, timeoutMs) as Promise<AckDataOf<T>>;
  }

  private rawRequest(ws: WebSocketLike, type: ClientFrameType, payload: object, timeoutMs: number): Promise<unknown> {
    const id = `q${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ParleyError('timeout', `${type} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ t: type, id, ...payload }));
    });
  }

  private setStatus(status: SocketStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  private async connect(): Promise<void> {
    this.setStatus('connecting');
    const token = this.options.tokens.accessToken() ?? (await this.options.tokens.renew().catch(() => null));
    if (!token) return this.terminate(CloseCodes.authRequired, 'no access token');
    if (this.status !== 'connecting') return;
    this.socketToken = token;
    let ws: WebSocketLike;
    try {
      ws = this.options.createWebSocket(this.options.url);
    } catch {
      return this.scheduleReconnect(CloseCodes.abnormal);
    }
    this.ws = ws;
    let opened = false;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      // Not ready in time: as a refused handshake if it never opened (the server may be starting), else as a lost connection.
      if (this.ws === ws) this.dropConnection(opened ? CloseCodes.abnormal : CloseCodes.tryAgainLater, 'connect timed out', true);
    }, this.options.connectTimeoutMs);
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      ws.send(JSON.stringify({ t: 'auth', id: `q${++this.nextId}`, token }));
    });
    ws.addEventListener('message', (event: { data: unknown }) => {
      if (this.ws !== ws) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    ws.addEventListener('close', (event: { code: number; reason: string }) => {
      if (this.ws !== ws) return;
      this.onClose(event.code, event.reason, opened);
    });
    ws.addEventListener('error', () => {
      // A 'close' event always follows.
    });
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.t) {
      case 'ready':
        this.clearConnectTimer();
        this.attempt = 0;
        this.heartbeatMs = frame.heartbeatMs;
        this.setStatus('open');
        this.startHeartbeat();
        this.emit('ready', frame);
        return;
      case 'reauth':
        void this.reauthenticate();
        return;
      case 'ack':
      case 'error': {
        const pending = frame.id === null ? undefined : this.pending.get(frame.id);
        if (!pending) return;
        this.pending.delete(frame.id!);
        clearTimeout(pending.timer);
        if (frame.t === 'ack') pending.resolve(frame.data);
        else pending.reject(ParleyError.fromBody(frame.error, null));
        return;
      }
      default:
        this.emit('push', frame);
    }
  }

  /**
   * The server says the token this socket holds expired: present a fresh one on the same
   * socket (the one the client already renewed, or a new renewal), which keeps its
   * subscriptions and its place in the logs. Should that fail, the server closes with
   * 4101 once its grace is over and the reauth path reconnects.
   */
  private async reauthenticate(): Promise<void> {
    const ws = this.ws;
    const current = this.options.tokens.accessToken();
    const token = current && current !== this.socketToken ? current : await this.options.tokens.renew().catch(() => null);
    if (!token || !ws || this.ws !== ws || ws.readyState !== OPEN) return;
    try {
      await this.rawRequest(ws, 'auth', { token }, this.options.requestTimeoutMs);
      if (this.ws === ws) this.socketToken = token;
    } catch {
      // Refused or unanswered: the server's close (4101) takes over.
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    // The server's WebSocket pings are invisible to browser code, so liveness is checked
    // with application pings: no answer within one interval means the link is dead.
    this.heartbeatTimer = setInterval(() => {
      this.request('ping', {}, this.heartbeatMs).catch((error: ParleyError) => {
        if (error.code === 'timeout') this.dropConnection(CloseCodes.heartbeatTimeout, 'heartbeat timeout', true);
      });
    }, this.heartbeatMs);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private failPending(): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ParleyError('disconnected', 'connection lost before the answer'));
    }
    this.pending.clear();
  }

  /** Closes the current socket; with `reconnect`, behaves as if the server had closed it with `code`. */
  private dropConnection(code: number, reason: string, reconnect = false): void {
    const ws = this.ws;
    this.ws = null;
    this.clearConnectTimer();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.failPending();
    try {
      ws?.close(code >= 4000 || code === 1000 ? code : 1000, reason);
    } catch {
      // already closed
    }
    if (reconnect) this.onClose(code, reason);
  }

  /** `opened`: false when the handshake itself failed (refused with 503 in a connect storm, or no server there). */
  private onClose(code: number, reason: string, opened = true): void {
    this.ws = null;
    this.clearConnectTimer();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.failPending();
    if (this.status === 'stopped') return;
    const kind = closeClass(code);
    if (kind === 'terminal') return this.terminate(code, reason);
    if (kind === 'reauth') {
      void this.options.tokens.renew().then(
        (token) => (token ? this.scheduleReconnect(code) : this.terminate(code, reason)),
        () => this.scheduleReconnect(code),
      );
      return;
    }
    this.scheduleReconnect(code, opened);
  }

  private scheduleReconnect(code: number, opened = true): void {
    if (this.status === 'stopped') return;
    this.setStatus('waiting');
    // A refused handshake is a server asking for patience (browsers cannot read its 503 and Retry-After): as after 4002.
    const delay = reconnectDelay(opened ? code : CloseCodes.tryAgainLater, this.attempt++, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private terminate(code: number, reason: string): void {
    this.setStatus('stopped');
    this.emit('stopped', { code, reason });
  }
}
