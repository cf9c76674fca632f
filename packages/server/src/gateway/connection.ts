import { closeClass, CloseCodes, type ClientFrame, type ErrorBody, type Presence, type ReadyFrame, type ReauthFrame } from '@parley/protocol';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Actor } from '../modules/auth/index.ts';
import { AppError, asAppError, toErrorBody } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { EphemeralHeader } from './envelope.ts';
import type { FrameHandlers } from './frame-handlers.ts';
import { parseFrame } from './frame-parser.ts';
import type { Hub, HubSession } from './hub.ts';
import type { PresenceWatches } from './presence-watch.ts';
import type { FrameSession, PresenceWatch, WatchingSession } from './session.ts';
import { tokenExpiresAt } from './token-expiry.ts';
import type { SocketBatch } from './socket-batch.ts';
import { type FrameCache, textFrame } from './ws-frame.ts';
import type { Tracing } from '../platform/tracing/index.ts';

/** What a connection tells the rest of the node about its life (presence, device last-used, metrics). */
export interface ConnectionHooks {
  /** Before attaching: may this user open another connection now? Throws a rate_limited AppError if not. */
  admit(actor: Actor, connection: Connection): Promise<void>;
  ready(connection: Connection): void;
  gone(connection: Connection): void;
  slowConsumer(): void;
  /** A request frame was answered: its type, how, and seconds since it was dispatched (metrics). */
  handled?(type: string, outcome: 'ack' | 'error', seconds: number): void;
  /** The socket closed with this code, whoever closed it (metrics). */
  closed?(code: number): void;
}

export interface ConnectionOptions {
  authenticate: (token: string) => Promise<Actor>;
  /** Checks again, once subscribed, that the account and session are still good. */
  requireActive: (actor: Actor) => Promise<void>;
  hub: Hub;
  handlers: FrameHandlers;
  logger: Logger;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  maxInflight: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  /** After its token expires, how long a ready socket has to present a fresh one. */
  reauthGraceMs: number;
  /** The app's clock (token expiry is measured on it). */
  clock: () => number;
  maxMessageLength: number;
  onClose: (connection: Connection) => void;
  /** The socket sent `ready` (or closed before it): it no longer counts as a connect in progress. */
  onSettled?: (connection: Connection) => void;
  hooks?: ConnectionHooks;
  watches?: PresenceWatches;
  /** Each request frame is a span (the trace starts at the socket: clients send no traceparent in frames). */
  tracing?: Tracing;
  /** Frames fanned-out payloads once for all the node's sockets (used when the connection writes to its raw socket). */
  frames?: FrameCache;
  /** Pushed frames written, counted here for the metric (a plain increment: this runs once per recipient of every event). */
  pushed?: { count: number };
  /** Gathers what one turn of the event loop writes to the raw socket into one system call. */
  batch?: SocketBatch;
}

/** `WebSocket.OPEN`, without importing `ws`'s values here. */
const OPEN = 1;

type State = 'authenticating' | 'attaching' | 'ready' | 'closed';

/**
 * Close codes for a token the socket was opened with (or sent in `auth`). Only a token
 * that is actually bad gets a reauth or terminal code; a database that cannot be reached
 * while checking it says "try again later" (resume class), so no client signs its user out
 * over a failover.
 */
export function closeCodeFor(error: AppError): number {
  switch (error.code) {
    case 'token_expired': return CloseCodes.tokenExpired;
    case 'account_suspended': return CloseCodes.accountSuspended;
    case 'unauthorized': {
      const reason = (error.details as { reason?: string } | undefined)?.reason;
      if (reason === 'account_deleted') return CloseCodes.accountDeleted;
      if (reason === 'session_revoked') return CloseCodes.sessionRevoked;
      return CloseCodes.invalidToken;
    }
    case 'unavailable': return CloseCodes.tryAgainLater;
    default: return CloseCodes.internalError;
  }
}

/** A closed socket that does not finish its closing handshake is cut off after this long. */
const CLOSE_GRACE_MS = 2_000;

/**
 * One WebSocket: authenticates, attaches to the hub, answers request frames with ack or
 * error frames, and writes fanned-out frames with back-pressure. A peer that stops
 * reading is closed with a resumable code rather than allowed to grow server memory.
 */
export class Connection implements HubSession, FrameSession, WatchingSession {
  userId = '';
  sessionId: string | null = null;
  private actor: Actor | null = null;
  private state: State = 'authenticating';
  private alive = true;
  private inflight = 0;
  private authTimer: NodeJS.Timeout | null = null;
  /** When the token this socket holds expires (epoch ms); null: it does not. */
  private tokenExpiresAt: number | null = null;
  /** Set once the token expired and the client was told: a fresh token must come by then. */
  private reauthDeadline: number | null = null;
  /**
   * Requests that arrived while the token was being checked (a client that connected with
   * `?token=`, or pipelined requests after its `auth` frame, need not wait for `ready`):
   * answered in order once attached, dropped if authentication fails. Bounded like in-flight requests.
   */
  private pending: ClientFrame[] = [];
  /**
   * Frames the hub delivered after it registered this session but before `ready` went out:
   * their seqs are past the `userSeq` in `ready`, so dropping them would be a silent gap.
   * Written right after `ready`.
   */
  private early: Buffer[] = [];
  private earlyBytes = 0;
  /** Draining: in-flight requests finish, new ones are refused, then the socket closes with this. */
  private drainClose: { code: number; reason: string } | null = null;
  private readonly closedWaiters: Array<() => void> = [];
  /** Set by the presence module once this socket subscribes to someone's presence. */
  presence: PresenceWatch | null = null;
  /** Node-local id of the presence entry while the session is ready. */
  presenceId: string | null = null;
  /** Client address (X-Forwarded-For when the proxy is trusted). */
  readonly ip: string;
  /** performance.now() at the upgrade: connect-to-ready is measured from it. */
  readonly openedAt = performance.now();

  private readonly ws: WebSocket;
  /**
   * The TCP socket under `ws`, when the gateway hands it over: frames are written to it
   * already framed (see ws-frame.ts). Without it (tests with a stand-in) they go through `ws.send`.
   */
  private readonly socket: Writable | null;
  private readonly options: ConnectionOptions;

  /** Who the token in the upgrade request was, when the gateway verified it before upgrading. */
  private readonly verified: Actor | null;
  private settled = false;

  constructor(ws: WebSocket, options: ConnectionOptions, queryToken: string | null, ip = '', verified: Actor | null = null, socket: Writable | null = null) {
    this.verified = verified;
    this.ws = ws;
    this.socket = socket;
    this.options = options;
    this.ip = ip;
    ws.on('message', (data, isBinary) => this.onData(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', (code) => {
      this.options.hooks?.closed?.(code);
      this.onClosed();
    });
    ws.on('error', (error) => options.logger.debug({ err: error }, 'socket error'));
    if (queryToken) {
      void this.authenticate(queryToken, null);
    } else {
      this.authTimer = setTimeout(() => this.close(CloseCodes.authRequired, 'authenticate within the time limit'), options.authTimeoutMs);
    }
  }

  /** A method, not an inline comparison: the state changes while awaits are pending. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Called every second by the gateway: a ready socket whose token has expired is told so
   * (`reauth`) and given `reauthGraceMs` to present a fresh one in an `auth` frame; after
   * that it closes with 4101 (refresh, reconnect and resume). Live frames keep flowing
   * meanwhile, so a client that renews in time never loses its place in the logs.
   */
  checkToken(now: number): void {
    if (this.state !== 'ready' || this.tokenExpiresAt === null || now < this.tokenExpiresAt) return;
    if (this.reauthDeadline === null) {
      this.reauthDeadline = now + this.options.reauthGraceMs;
      this.sendJson({ t: 'reauth', graceMs: this.options.reauthGraceMs } satisfies ReauthFrame);
    } else if (now >= this.reauthDeadline) {
      this.close(CloseCodes.tokenExpired, 'token expired: refresh it and reconnect');
    }
  }

  /** Called on every heartbeat tick: a peer that did not answer the previous ping is gone. */
  heartbeat(): void {
    if (this.state === 'closed') return;
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  deliver(frame: Buffer): void {
    if (this.state === 'attaching') {
      this.earlyBytes += frame.length;
      if (this.earlyBytes > this.options.maxBufferedBytes) {
        this.close(CloseCodes.slowConsumer, 'slow consumer: reconnect and resume');
        return;
      }
      this.early.push(frame);
      return;
    }
    if (this.state !== 'ready') return;
    if (this.options.pushed) this.options.pushed.count++;
    this.write(frame, true);
  }

  /** Writes a frame made for this session alone (presence as this viewer may see it). */
  push(frame: object): void {
    if (this.state !== 'ready') return;
    if (this.options.pushed) this.options.pushed.count++;
    this.write(JSON.stringify(frame));
  }

  subscribePresence(userIds: readonly string[]): Promise<Presence[]> {
    if (!this.options.watches) return Promise.reject(new AppError('unavailable', 'Presence is not available here.'));
    return this.options.watches.subscribe(this, userIds);
  }

  unsubscribePresence(userIds: readonly string[]): void {
    this.options.watches?.unsubscribe(this, userIds);
  }

  onWatched(userId: string, header: EphemeralHeader, frame: Buffer): void {
    this.presence?.onWatched(userId, header, frame);
  }

  onLeftConversation(): void {
    this.presence?.recheckAll();
  }

  /** Bytes written but not yet sent (read at metrics scrape time). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /**
   * Asks the client to reconnect (elsewhere) without losing anything: requests in flight
   * finish and are answered, new ones are refused as `unavailable` (retryable), then the
   * socket closes with `code`. Resolves once it is closed.
   */
  drain(code: number, reason: string): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (this.state === 'closed') resolve();
      else this.closedWaiters.push(resolve);
    });
    if (this.state !== 'ready' || this.inflight === 0) this.close(code, reason);
    else this.drainClose ??= { code, reason };
    return closed;
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.markClosed();
    this.ws.close(code, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /**
   * Every frame to the peer goes through here: answers as well as fanned-out events, so a
   * peer that keeps asking but never reads cannot grow the queue either. `shared`: the
   * payload is one the hub writes to many sockets, framed once for all of them.
   */
  private write(frame: Buffer | string, shared = false): void {
    // What the peer has not read is measured at a turn's first frame: the frames written in
    // one turn wait corked together (socket-batch.ts), and are no backlog of the peer's.
    const laterInTurn = this.socket !== null && this.socket.writableCorked > 0;
    if (!laterInTurn && this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.options.hooks?.slowConsumer();
      this.close(CloseCodes.slowConsumer, 'slow consumer: reconnect and resume');
      return;
    }
    if (!this.socket) {
      this.ws.send(frame, { binary: false });
      return;
    }
    // Nothing after the close handshake began (ws.send refuses too): no data frame may follow a close frame.
    if (this.ws.readyState !== OPEN) return;
    this.options.batch?.hold(this.socket);
    this.socket.write(shared && this.options.frames ? this.options.frames.frame(frame as Buffer) : textFrame(frame));
  }

  private sendJson(value: unknown): void {
    if (this.state === 'closed') return;
    this.write(JSON.stringify(value));
  }

  private sendError(id: string | null, error: ErrorBody): void {
    this.sendJson({ t: 'error', id, error });
  }

  /** `requestId`: the id of the `auth` frame, answered with an ack after `ready` (or an error before the close). */
  private async authenticate(token: string, requestId: string | null): Promise<void> {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    this.state = 'attaching';
    let actor: Actor;
    try {
      // A token from the upgrade request was verified before the upgrade: not twice.
      actor = this.verified !== null && requestId === null ? this.verified : await this.options.authenticate(token);
    } catch (thrown) {
      if (this.isClosed()) return;
      const error = this.refuseToken(thrown, requestId);
      this.pending = [];
      this.close(closeCodeFor(error), error.message);
      return;
    }
    if (this.isClosed()) return;
    this.actor = actor;
    this.tokenExpiresAt = tokenExpiresAt(token);
    this.userId = actor.userId;
    this.sessionId = actor.sessionId;
    if (this.options.hooks) {
      try {
        await this.options.hooks.admit(actor, this);
      } catch (error) {
        if (this.isClosed()) return;
        const retryAfterMs = (error as AppError).details && ((error as AppError).details as { retryAfterMs?: number }).retryAfterMs;
        if (requestId !== null) this.sendError(requestId, toErrorBody(error, newId()));
        this.pending = [];
        // Try-again-later: resumable, and clients wait at least a second before coming back.
        this.close(CloseCodes.tryAgainLater, `too many connections: retry in ${retryAfterMs ?? 1000} ms`);
        return;
      }
      if (this.isClosed()) return;
    }
    let userSeq: number;
    try {
      userSeq = await this.options.hub.attach(this);
    } catch (error) {
      this.options.logger.error({ err: error, user: actor.userId }, 'could not attach a session');
      this.close(CloseCodes.internalError, 'try again');
      return;
    }
    try {
      await this.options.requireActive(actor);
    } catch (thrown) {
      const error = asAppError(thrown);
      this.close(closeCodeFor(error), error.code === 'internal' ? 'try again' : error.message);
    }
    if (this.isClosed()) {
      this.options.hub.detach(this);
      return;
    }
    this.state = 'ready';
    const ready: ReadyFrame = {
      t: 'ready',
      userId: actor.userId,
      sessionId: actor.sessionId,
      userSeq,
      heartbeatMs: this.options.heartbeatMs,
      maxFrameBytes: this.options.maxFrameBytes,
      maxMessageLength: this.options.maxMessageLength,
    };
    // `ready`, the frames held meanwhile and the auth frame's ack leave in one write: each
    // write on a socket is a system call, and a connect storm makes tens of thousands of these.
    this.socket?.cork();
    try {
      this.sendJson(ready);
      this.settle();
      this.options.hooks?.ready(this);
      const early = this.early;
      this.early = [];
      this.earlyBytes = 0;
      for (const frame of early) this.deliver(frame);
      if (requestId !== null) this.sendJson({ t: 'ack', id: requestId, data: {} });
      this.dispatchPending();
    } finally {
      this.socket?.uncork();
    }
  }

  /** Answers a token that could not be used (an error frame when the client asked), logging causes that are not the token's. */
  private refuseToken(thrown: unknown, requestId: string | null): AppError {
    const error = asAppError(thrown);
    if (!(thrown instanceof AppError)) this.options.logger.warn({ err: thrown }, 'authentication could not be checked');
    if (requestId !== null) this.sendError(requestId, toErrorBody(error, newId()));
    return error;
  }

  /** Requests held while the socket authenticated run now, in the order they came. */
  private dispatchPending(): void {
    const pending = this.pending;
    this.pending = [];
    for (const frame of pending) this.dispatch(frame);
  }

  /**
   * An `auth` frame on a ready socket: a fresh token for the same user and device session
   * replaces the one it holds (before or after that one expired), nothing else changes:
   * no second `ready`, subscriptions stay. A token that is not good is refused with an
   * error frame and changes nothing, unless it says the session or account is gone (then
   * the socket closes with that code, as on connect).
   */
  private async renewToken(token: string, requestId: string): Promise<void> {
    let actor: Actor;
    try {
      actor = await this.options.authenticate(token);
    } catch (thrown) {
      if (this.isClosed()) return;
      const error = this.refuseToken(thrown, requestId);
      const code = closeCodeFor(error);
      if (closeClass(code) === 'terminal' && code !== CloseCodes.invalidToken) this.close(code, error.message);
      return;
    }
    if (this.isClosed()) return;
    if (actor.userId !== this.userId || actor.sessionId !== this.sessionId) {
      this.sendError(requestId, { code: 'forbidden', message: 'A socket keeps its user and device session: this token is for another.' });
      return;
    }
    this.actor = actor;
    this.tokenExpiresAt = tokenExpiresAt(token);
    this.reauthDeadline = null;
    this.sendJson({ t: 'ack', id: requestId, data: {} });
    this.dispatchPending();
  }

  private onData(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    if (this.state === 'closed') return;
    const parsed = parseFrame(data, isBinary, this.options.maxFrameBytes);
    if (!parsed.ok) {
      this.sendError(parsed.id, parsed.error);
      return;
    }
    this.dispatch(parsed.frame);
  }

  private dispatch(frame: ClientFrame): void {
    if (frame.t === 'auth') {
      if (this.state === 'ready') {
        void this.renewToken(frame.token, frame.id);
        return;
      }
      if (this.state !== 'authenticating') {
        this.sendError(frame.id, { code: 'bad_request', message: 'Already authenticated.' });
        return;
      }
      void this.authenticate(frame.token, frame.id);
      return;
    }
    // While attaching, or while an expired token waits for its renewal, requests wait (bounded).
    if (this.state === 'attaching' || (this.state === 'ready' && this.reauthDeadline !== null)) {
      if (this.pending.length >= this.options.maxInflight) {
        this.sendError(frame.id, { code: 'rate_limited', message: `At most ${this.options.maxInflight} requests may wait for authentication.`, details: { retryAfterMs: 100 } });
        return;
      }
      this.pending.push(frame);
      return;
    }
    if (this.state !== 'ready' || !this.actor) {
      this.sendError(frame.id, { code: 'unauthorized', message: 'Authenticate first: send an auth frame or connect with ?token=.' });
      return;
    }
    if (this.drainClose) {
      this.sendError(frame.id, { code: 'unavailable', message: 'This server is shutting down: reconnect and retry.' });
      return;
    }
    if (this.inflight >= this.options.maxInflight) {
      this.sendError(frame.id, { code: 'rate_limited', message: `At most ${this.options.maxInflight} requests may be in flight.`, details: { retryAfterMs: 100 } });
      return;
    }
    const handler = this.options.handlers[frame.t] as ((actor: Actor, frame: ClientFrame, connection: Connection) => Promise<unknown>) | undefined;
    if (!handler) {
      this.sendError(frame.id, { code: 'bad_request', message: `Frame type ${frame.t} is not served here.` });
      return;
    }
    this.inflight++;
    const handled = this.options.hooks?.handled;
    const started = handled ? performance.now() : 0;
    const tracing = this.options.tracing;
    const run = tracing?.enabled
      ? () => tracing.span(`ws ${frame.t}`, { 'parley.frame': frame.t, 'parley.user_id': this.userId }, () => handler(this.actor!, frame, this))
      : () => handler(this.actor!, frame, this);
    // Called inside the promise chain: a handler that throws synchronously is answered like any failure.
    Promise.resolve().then(run).then(
      (data) => {
        this.sendJson({ t: 'ack', id: frame.id, data });
        handled?.(frame.t, 'ack', (performance.now() - started) / 1000);
      },
      (error: unknown) => {
        handled?.(frame.t, 'error', (performance.now() - started) / 1000);
        const requestId = newId();
        if (!(error instanceof AppError)) this.options.logger.error({ err: error, requestId, frame: frame.t, user: this.userId }, 'request failed');
        this.sendError(frame.id, toErrorBody(error, requestId));
      },
    ).finally(() => {
      this.inflight--;
      if (this.inflight === 0 && this.drainClose) this.close(this.drainClose.code, this.drainClose.reason);
    });
  }

  private markClosed(): void {
    const wasAttached = this.state === 'ready';
    this.state = 'closed';
    this.pending = [];
    this.early = [];
    if (this.authTimer) clearTimeout(this.authTimer);
    if (wasAttached) {
      this.options.hub.detach(this);
      this.presence?.clear();
      this.options.hooks?.gone(this);
    }
  }

  /** Once: the connect is over (ready, or closed first). */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.options.onSettled?.(this);
  }

  private onClosed(): void {
    this.settle();
    if (this.state !== 'closed') this.markClosed();
    this.options.onClose(this);
    for (const resolve of this.closedWaiters.splice(0)) resolve();
  }
}
