import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCodes, type ResyncFrame } from '@parley/protocol';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/index.ts';
import type { Actor } from '../modules/auth/index.ts';
import type { Broker } from '../platform/broker/index.ts';
import type { LoadMonitor } from '../platform/load-monitor.ts';
import { asAppError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Tracing } from '../platform/tracing/index.ts';
import { type Metrics, type RefusalReason, secondsSince } from '../platform/metrics/index.ts';
import { closeCodeFor, Connection, type ConnectionHooks } from './connection.ts';
import { ConnectQueue } from './connect-queue.ts';
import type { FrameHandlers } from './frame-handlers.ts';
import { Hub, type MembershipSource } from './hub.ts';
import { createPresenceWatches, type PresenceViewer } from './presence-watch.ts';
import { SocketBatch } from './socket-batch.ts';
import { FrameCache } from './ws-frame.ts';

/** What the gateway asks of the rest of the node about each connection's life. */
export interface GatewayLifecycle {
  /** Per-IP connection attempts: resolves with how long to wait when refused, null when admitted. */
  admitAddress(ip: string): Promise<number | null>;
  /** Per-user connection attempts, after the token is checked; throws a rate_limited AppError. */
  admitUser(actor: Actor, ip: string): Promise<void>;
  ready(connection: Connection): void;
  gone(connection: Connection): void;
}

export interface GatewayDeps {
  config: Readonly<Config>;
  broker: Broker;
  logger: Logger;
  authenticate: (token: string) => Promise<Actor>;
  requireActive: (actor: Actor) => Promise<void>;
  loadMembership: MembershipSource;
  handlers: FrameHandlers;
  /** Optional so a bare gateway (tests) works without them. */
  lifecycle?: GatewayLifecycle;
  presence?: PresenceViewer;
  load?: LoadMonitor;
  metrics?: Metrics;
  /** The app's clock (token expiry); the system's by default. */
  clock?: () => number;
  tracing?: Tracing;
}

export const WS_PATH = '/v1/ws';

const RESYNC = Buffer.from(JSON.stringify({ t: 'resync' } satisfies ResyncFrame));

/** How often sockets are checked for an expired token. */
const TOKEN_CHECK_INTERVAL_MS = 1_000;

/** The drain closes sockets in batches at least this far apart. */
const DRAIN_BATCH_INTERVAL_MS = 100;

export type Gateway = ReturnType<typeof createGateway>;

function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return request.socket.remoteAddress ?? '';
}

/** Gives a pending-connect slot back once; `handOver`: a Connection owns it from now on. */
type Release = (handOver?: boolean) => void;

/** The WebSocket endpoint of one node: upgrades, connections, heartbeats, and the hub they share. */
export function createGateway(deps: GatewayDeps) {
  const { config, logger, metrics, lifecycle } = deps;
  // No per-message deflate: connections write pre-built frames to the raw socket beside ws (ws-frame.ts), safe only while ws never compresses.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.hardMaxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const hub = new Hub({
    broker: deps.broker,
    loadMembership: deps.loadMembership,
    logger,
    reorderHoldMs: config.ws.reorderHoldMs,
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
    membersNotices: config.ws.membersNotices,
    // Epoch ms on both ends: across nodes this includes their clock skew (NTP keeps it to milliseconds).
    ...(metrics ? {
      delivered: (kind: 'conversation' | 'user', publishedAt: number) => metrics.fanoutDelay.observe({ kind }, Math.max(0, Date.now() - publishedAt) / 1000),
      received: (kind: 'conversation' | 'user', publishedAt: number) => metrics.brokerReceiveLag.observe({ kind }, Math.max(0, Date.now() - publishedAt) / 1000),
    } : {}),
  });
  const connections = new Set<Connection>();
  /**
   * Upgrade requests taken on and not yet settled (verifying, upgrading, authenticating,
   * loading memberships): past `maxPendingConnects` the next ones are refused before any
   * WebSocket work. In a reconnect storm this admits sockets in order: the ones taken on
   * finish in time instead of all of them timing out half-authenticated.
   */
  let pendingConnects = 0;
  let accepting = true;
  let drained: Promise<void> | null = null;

  // The hub re-reads memberships after a gap (its own handler runs first); once that is
  // done, every session is told to resync what it may have missed from the logs.
  deps.broker.onGap(() => {
    void hub.membershipRefreshed().then(() => hub.forEachSession((session) => session.deliver(RESYNC)));
  });

  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, config.ws.heartbeatMs);
  heartbeat.unref();
  // Expired tokens are noticed within a second (measured on the app's clock, which tests move).
  const clock = deps.clock ?? Date.now;
  const tokenCheck = setInterval(() => {
    const now = clock();
    for (const connection of connections) connection.checkToken(now);
  }, TOKEN_CHECK_INTERVAL_MS);
  tokenCheck.unref();

  const hooks: ConnectionHooks | undefined = lifecycle && {
    admit: (actor, connection) => lifecycle.admitUser(actor, connection.ip),
    ready: (connection) => {
      metrics?.connectToReady.observe(secondsSince(connection.openedAt));
      lifecycle.ready(connection);
    },
    gone: (connection) => lifecycle.gone(connection),
    slowConsumer: () => metrics?.slowConsumerCloses.inc(),
    ...(metrics ? {
      handled: (type: string, outcome: 'ack' | 'error', seconds: number) => metrics.frameDuration.observe({ type, outcome }, seconds),
      closed: (code: number) => metrics.closed(code),
    } : {}),
  };

  const pushed = { count: 0 };
  const connectionOptions = {
    frames: new FrameCache(),
    batch: new SocketBatch(),
    pushed,
    authenticate: deps.authenticate,
    requireActive: deps.requireActive,
    hub,
    handlers: deps.handlers,
    logger,
    maxFrameBytes: config.limits.maxFrameBytes,
    maxBufferedBytes: config.limits.maxSocketBufferBytes,
    maxInflight: config.limits.maxInflightPerConnection,
    heartbeatMs: config.ws.heartbeatMs,
    authTimeoutMs: config.ws.authTimeoutMs,
    reauthGraceMs: config.ws.reauthGraceMs,
    clock,
    maxMessageLength: config.limits.maxMessageLength,
    onClose: (connection: Connection) => connections.delete(connection),
    onSettled: () => slotFreed(),
    ...(hooks ? { hooks } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
    ...(deps.presence ? { watches: createPresenceWatches({ hub, viewer: deps.presence, maxPerSession: config.realtime.presenceMaxSubscriptions }) } : {}),
  };

  function reject(socket: Duplex, status: number, text: string, headers = ''): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
  }

  /** Why a new connection cannot be taken now, if it cannot. */
  function overloaded(): RefusalReason | null {
    if (connections.size >= config.overload.maxConnections) return 'capacity';
    if (deps.load?.overloaded()) return 'event_loop_lag';
    return null;
  }

  /** The upgrade request's own token (`?token=` or `Authorization: Bearer`), if it brought one. */
  function upgradeToken(request: IncomingMessage, url: URL): string | null {
    const query = url.searchParams.get('token');
    if (query) return query;
    const header = request.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7) : null;
  }

  /**
   * `release` gives the pending-connect slot back if this request never becomes a
   * Connection (which gives it back itself once it is ready or closed).
   */
  function accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, ip: string, release: Release): void {
    // Checked again: the address check may have waited for Redis.
    if (!accepting) {
      release();
      metrics?.refused.inc({ reason: 'draining' });
      return reject(socket, 503, 'Service Unavailable');
    }
    const token = upgradeToken(request, url);
    if (!token) return upgrade(request, socket, head, ip, null, null, release);
    // Verified before the upgrade, inside the pending-connect bound: in a storm the token work
    // is done only for sockets that will be taken on, and a Connection never verifies it twice.
    deps.authenticate(token).then(
      (actor) => upgrade(request, socket, head, ip, token, actor, release),
      (thrown: unknown) => {
        release();
        const error = asAppError(thrown);
        if (error.code === 'internal') logger.error({ err: thrown }, 'verifying an upgrade request\'s token failed');
        metrics?.refused.inc({ reason: 'token' });
        if (socket.destroyed) return;
        // Upgraded only to say why with a close code: browsers cannot read an HTTP status, and the
        // code is what tells a client to renew its token, to stop, or to try again later.
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.close(closeCodeFor(error), error.code === 'internal' ? 'try again' : error.message);
          setTimeout(() => ws.terminate(), 2_000).unref();
        });
      },
    );
  }

  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, ip: string, token: string | null, actor: Actor | null, release: Release): void {
    if (socket.destroyed) return release();
    const refusal = overloaded();
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (refusal) {
        release();
        // Upgraded first so the client reads a close code (browsers cannot see an HTTP
        // status): resumable, and the SDK waits at least a second before trying again.
        // Existing connections are untouched.
        metrics?.refused.inc({ reason: refusal });
        ws.close(CloseCodes.overloaded, refusal === 'capacity' ? 'overloaded: too many connections, try again later' : 'overloaded: try again later');
        setTimeout(() => ws.terminate(), 2_000).unref();
        return;
      }
      // The Connection gives the slot back itself, once it is ready or closed.
      release(true);
      // The raw socket too: fanned-out frames are written to it framed once for all sockets (ws-frame.ts).
      const connection = new Connection(ws, connectionOptions, token, ip, actor, socket);
      connections.add(connection);
    });
  }

  /** Retry-After for a refused storm: 1–5 s at random, so the refused do not all come back in the same second. */
  function stormRetryAfter(): string {
    return `Retry-After: ${1 + Math.floor(Math.random() * 5)}\r\n`;
  }

  function refuseStorm(socket: Duplex): void {
    // Before any WebSocket or token work: the cheapest answer a storm can get.
    metrics?.refused.inc({ reason: 'connects_pending' });
    reject(socket, 503, 'Service Unavailable', stormRetryAfter());
  }

  /** Upgrade requests that found the pending-connect bound full, taken on in arrival order as slots free. */
  const waitingRoom = new ConnectQueue({ max: config.overload.connectQueue, maxWaitMs: config.overload.connectQueueMs, refuse: ({ socket }) => refuseStorm(socket) });
  let admitting = false;

  function slotFreed(): void {
    pendingConnects--;
    if (admitting) return;
    // Not re-entered: taking one on may give its slot straight back (its client left), and this loop goes on.
    admitting = true;
    try {
      while (accepting && pendingConnects < config.overload.maxPendingConnects) {
        const next = waitingRoom.next();
        if (!next) break;
        takeOn(next.request, next.socket, next.head, next.url);
      }
    } finally {
      admitting = false;
    }
  }

  /** A pending-connect slot for this request, then the address check, the token and the upgrade. */
  function takeOn(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    pendingConnects++;
    let released = false;
    const release: Release = (handOver = false) => {
      if (released) return;
      released = true;
      if (!handOver) slotFreed();
    };
    // A handshake that fails inside `ws` (or a client that goes away) never calls back: the slot comes back here.
    socket.once('close', () => release());
    const ip = clientAddress(request, config.trustProxy);
    if (!lifecycle) return accept(request, socket, head, url, ip, release);
    lifecycle.admitAddress(ip).then(
      (retryAfterMs) => {
        if (retryAfterMs === null) return accept(request, socket, head, url, ip, release);
        release();
        // Refused before any WebSocket work: the cheapest answer to a flood from one address.
        metrics?.refused.inc({ reason: 'rate_limited' });
        reject(socket, 429, 'Too Many Requests', `Retry-After: ${Math.max(1, Math.ceil(retryAfterMs / 1000))}\r\n`);
      },
      (error: unknown) => {
        release();
        logger.error({ err: error }, 'connection admission failed');
        reject(socket, 503, 'Service Unavailable');
      },
    );
  }

  return {
    hub,

    /** For the HTTP server's `upgrade` event. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
      if (!accepting) {
        metrics?.refused.inc({ reason: 'draining' });
        return reject(socket, 503, 'Service Unavailable');
      }
      socket.on('error', () => socket.destroy());
      const maxPending = config.overload.maxPendingConnects;
      // Past the bound the request waits its turn (its client sees a slow handshake), or, when the waiting room is full too, is refused.
      if (maxPending > 0 && pendingConnects >= maxPending) {
        if (!waitingRoom.offer(request, socket, head, url)) refuseStorm(socket);
        return;
      }
      takeOn(request, socket, head, url);
    },

    stats() {
      return { connections: connections.size, connectsPending: pendingConnects, connectsWaiting: waitingRoom.size, ...hub.stats() };
    },

    /** Pushed frames written to this node's sockets so far (the fan-out frames metric). */
    pushedFrames(): number {
      return pushed.count;
    },

    /** Bytes queued on this node's sockets: the largest, and all together (one pass, at scrape time). */
    bufferedBytes() {
      let max = 0;
      let sum = 0;
      for (const connection of connections) {
        const bytes = connection.bufferedAmount;
        sum += bytes;
        if (bytes > max) max = bytes;
      }
      return { max, sum };
    },

    get accepting(): boolean {
      return accepting;
    },

    /**
     * Graceful drain: stops accepting, then asks every client to reconnect (elsewhere) and
     * resume, spread over `windowMs` in batches so they do not stampede the other nodes.
     * Each socket's in-flight requests finish and are answered first; after `graceMs`
     * whatever is left is closed anyway. Resolves when every socket is gone.
     */
    drain(windowMs = config.shutdown.drainWindowMs, graceMs = config.shutdown.drainGraceMs): Promise<void> {
      drained ??= (async () => {
        accepting = false;
        waitingRoom.refuseAll();
        clearInterval(heartbeat);
        clearInterval(tokenCheck);
        const started = Date.now();
        const all = [...connections];
        // Evenly over the window: batches at least DRAIN_BATCH_INTERVAL_MS apart, and no more batches than sockets.
        const batches = Math.max(1, Math.min(all.length, Math.floor(windowMs / DRAIN_BATCH_INTERVAL_MS)));
        const interval = windowMs / batches;
        const perBatch = Math.max(1, Math.ceil(all.length / batches));
        const closing: Array<Promise<void>> = [];
        for (let i = 0; i < all.length; i += perBatch) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, interval));
          for (const connection of all.slice(i, i + perBatch)) {
            metrics?.drainCloses.inc();
            closing.push(connection.drain(CloseCodes.serverShutdown, 'server shutting down: reconnect and resume'));
          }
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        // Sockets that would not finish in time (or arrived while draining) go now.
        for (const connection of connections) connection.close(CloseCodes.serverShutdown, 'server shutting down: reconnect and resume');
        const deadline = Date.now() + 2_000;
        while (connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        wss.close();
        logger.info({ sockets: all.length, ms: Date.now() - started }, 'websockets drained');
      })();
      return drained;
    },

    /** Drain at once (tests, SIGINT): every socket asked to go now. */
    close(graceMs = 5_000): Promise<void> {
      return this.drain(0, graceMs);
    },
  };
}
