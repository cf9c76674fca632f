import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCodes, type ResyncFrame } from '@parley/protocol';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/index.ts';
import type { Actor } from '../modules/auth/index.ts';
import type { Broker } from '../platform/broker/index.ts';
import type { Logger } from '../platform/logger.ts';
import { Connection } from './connection.ts';
import type { FrameHandlers } from './frame-handlers.ts';
import { Hub, type MembershipSource } from './hub.ts';

export interface GatewayDeps {
  config: Readonly<Config>;
  broker: Broker;
  logger: Logger;
  authenticate: (token: string) => Promise<Actor>;
  requireActive: (actor: Actor) => Promise<void>;
  loadMembership: MembershipSource;
  handlers: FrameHandlers;
}

export const WS_PATH = '/v1/ws';

const RESYNC = Buffer.from(JSON.stringify({ t: 'resync' } satisfies ResyncFrame));

export type Gateway = ReturnType<typeof createGateway>;

/** The WebSocket endpoint of one node: upgrades, connections, heartbeats, and the hub they share. */
export function createGateway(deps: GatewayDeps) {
  const { config, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.hardMaxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const hub = new Hub({ broker: deps.broker, loadMembership: deps.loadMembership, logger, reorderHoldMs: config.ws.reorderHoldMs });
  const connections = new Set<Connection>();
  let accepting = true;

  // The hub re-reads memberships after a gap (its own handler runs first); once that is
  // done, every session is told to resync what it may have missed from the logs.
  deps.broker.onGap(() => {
    void hub.membershipRefreshed().then(() => hub.forEachSession((session) => session.deliver(RESYNC)));
  });

  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, config.ws.heartbeatMs);
  heartbeat.unref();

  const connectionOptions = {
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
    maxMessageLength: config.limits.maxMessageLength,
    onClose: (connection: Connection) => connections.delete(connection),
  };

  function reject(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  return {
    hub,

    /** For the HTTP server's `upgrade` event. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
      if (!accepting) return reject(socket, 503, 'Service Unavailable');
      socket.on('error', () => socket.destroy());
      wss.handleUpgrade(request, socket, head, (ws) => {
        connections.add(new Connection(ws, connectionOptions, url.searchParams.get('token')));
      });
    },

    stats() {
      return { connections: connections.size, ...hub.stats() };
    },

    /**
     * Stops accepting and asks every client to reconnect elsewhere and resume (a
     * resumable close code); resolves when all sockets are closed or the grace is over.
     */
    async close(graceMs = 5_000): Promise<void> {
      accepting = false;
      clearInterval(heartbeat);
      for (const connection of connections) connection.close(CloseCodes.serverShutdown, 'server shutting down: reconnect and resume');
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      wss.close();
    },
  };
}
