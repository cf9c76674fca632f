import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../packages/server/src/main.ts', import.meta.url));

export interface NodeProcess {
  url: string;
  port: number;
  /** The JSON log line that announced it listening (role, jobs, storage, broker). */
  started: Record<string, unknown>;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a real Parley process (`node packages/server/src/main.ts`) and waits for its "listening" log line. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--conditions=development', MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  let started: Record<string, unknown> = {};
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a loaded machine (several suites, load far above the cores) a start has taken over 20 s.
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started node behind
      reject(new Error(`node did not start:\n${output}`));
    }, 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        const line = output.split('\n').find((text) => text.includes('"url":"'));
        try {
          started = JSON.parse(line ?? '{}');
        } catch {
          // A line cut in the middle: the URL is all callers need.
        }
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`node exited with ${code} before listening:\n${output}`)));
  });
  child.stdout!.resume();
  return {
    url,
    started,
    port: Number(new URL(url).port),
    child,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A TCP load balancer in front of several nodes: new connections go to the current
 * target (`target`), or round-robin over `targets`; switching targets lets a test move
 * clients from one node to another. A target that refuses the connection (a node that
 * exited) is skipped for the next one, like a balancer's health check would.
 */
export class Balancer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  targets: number[];
  private turn = 0;

  constructor(target: number | number[]) {
    this.targets = Array.isArray(target) ? [...target] : [target];
    this.server = createServer((client) => {
      client.pause();
      this.sockets.add(client);
      client.on('error', () => client.destroy()).on('close', () => this.sockets.delete(client));
      this.connectUpstream(client, this.targets.length);
    });
  }

  /** The single target (setting it replaces the round-robin list). */
  get target(): number {
    return this.targets[0]!;
  }

  set target(port: number) {
    this.targets = [port];
  }

  private connectUpstream(client: Socket, attemptsLeft: number): void {
    if (client.destroyed) return;
    const port = this.targets[this.turn++ % this.targets.length]!;
    const upstream = connect(port, '127.0.0.1');
    let connected = false;
    this.sockets.add(upstream);
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      this.sockets.delete(upstream);
      if (!connected && attemptsLeft > 1 && !client.destroyed) return this.connectUpstream(client, attemptsLeft - 1);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop).on('close', drop);
    client.on('close', () => upstream.destroy());
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
