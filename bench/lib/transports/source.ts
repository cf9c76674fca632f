import { Agent, type ClientRequestArgs } from 'node:http';
import { createConnection, type NetConnectOpts } from 'node:net';

/** Local ports a source hands out, cycling: clear of the well-known ports and wide enough that a port comes round again long after its socket is gone. */
const FIRST_PORT = 10_000;
const LAST_PORT = 60_999;

/**
 * Where one load-generator process connects from: its own loopback address (127.0.0.2, .3, …)
 * and local ports it picks itself. A socket bound to an address with port 0 makes the kernel
 * search the port range for a free one, and with thousands of sockets per address that search
 * took half the generator's CPU (perf: `inet_csk_get_port` under `bind`), on the two cores it
 * shares with the server. A port named by the caller is one lookup. A port that is taken after
 * all (a listener on every address, a socket still closing) fails that one connect, which the
 * generator retries like any failed connect.
 */
export class Source {
  readonly address: string;
  private port: number;
  private socketIoAgent: Agent | null = null;

  constructor(address: string) {
    this.address = address;
    // Not the same ports as the run before on this address, whose sockets may still be closing.
    this.port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
  }

  nextPort(): number {
    this.port = this.port >= LAST_PORT ? FIRST_PORT : this.port + 1;
    return this.port;
  }

  /** For clients that take no local port (socket.io-client passes `agent`, not `localPort`, to `ws`). */
  agent(): Agent {
    if (!this.socketIoAgent) {
      const agent = new Agent();
      // Returned, not handed to the agent's callback: the default one works the same way.
      agent.createConnection = (options: ClientRequestArgs) => createConnection({ ...options, localAddress: this.address, localPort: this.nextPort() } as NetConnectOpts);
      this.socketIoAgent = agent;
    }
    return this.socketIoAgent;
  }
}
