import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real service (PostgreSQL, Redis) that a test can cut: every
 * open connection is reset and new ones are reset on accept, as a restart or failover
 * looks from the client's side, until `restore()`. Only the app under test goes through
 * it, so the machine's service stays up for every other suite.
 */
export interface TcpProxy {
  /** `scheme://…@127.0.0.1:<proxy port>/…`: the target URL with its host and port replaced. */
  readonly url: string;
  cut(): void;
  /**
   * A silent partition: open connections stay open but nothing passes either way, and new
   * connections are accepted and then hear nothing, as when a firewall drops packets.
   * `restore()` ends it: what was held back then flows (as TCP retransmits it after a real
   * partition heals) and connections accepted meanwhile are relayed from then on.
   */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string, defaultPort: number): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetHost = target.hostname || '127.0.0.1';
  const targetPort = Number(target.port || defaultPort);
  const open = new Set<Socket>();
  let down = false;
  let stalled = false;
  /** Relayed connections, so a stall can stop them passing anything. */
  const relays = new Set<{ client: Socket; upstream: Socket }>();
  /** Connections accepted during a stall, relayed once it ends. */
  const held = new Set<Socket>();


  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => {});
  };
  const relay = (client: Socket) => {
    const upstream = connect({ host: targetHost, port: targetPort });
    track(upstream);
    const pair = { client, upstream };
    relays.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => {
      upstream.destroy();
      relays.delete(pair);
    });
    upstream.once('close', () => {
      client.destroy();
      relays.delete(pair);
    });
  };
  const server: Server = createServer((client) => {
    track(client);
    if (down) {
      client.resetAndDestroy();
      return;
    }
    if (stalled) {
      // Accepted but never answered; what the client writes waits unread.
      held.add(client);
      client.once('close', () => held.delete(client));
      return;
    }
    relay(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    stall() {
      stalled = true;
      for (const { client, upstream } of relays) {
        // Stop relaying: what arrives waits unread, so neither side hears anything.
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      down = false;
      if (!stalled) return;
      stalled = false;
      for (const { client, upstream } of relays) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of held) relay(client);
      held.clear();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
