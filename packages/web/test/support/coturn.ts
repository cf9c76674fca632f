import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/** Why the TURN suites cannot run here, or false when they can; with CI=true a missing coturn fails instead (.ci/run installs it). */
export function coturnSkipReason(): string | false {
  if (existsSync(TURNSERVER)) return false;
  if (process.env.CI === 'true') return false;
  return `coturn is not installed at ${TURNSERVER} (apt-get install coturn; .ci/run does it): TURN tests skipped`;
}

export interface Coturn {
  port: number;
  secret: string;
  /** `turn:127.0.0.1:<port>?transport=udp`, as TURN_URLS takes it. */
  url: string;
  /** Credentials in coturn's REST scheme (`use-auth-secret`), valid until `expiresAtSec` (past: expired). */
  credential(userId: string, expiresAtSec: number): { username: string; credential: string };
  output(): string;
  stop(): Promise<void>;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A private coturn on loopback for one suite: REST-API credentials with a random secret,
 * loopback peers allowed (tests only: production must never relay into its own network),
 * no TLS/DTLS, no CLI, relay ports in a small random range. Resolves once it listens;
 * fails fast with its output when it does not within the deadline.
 */
export async function startCoturn(timeoutMs = 15_000): Promise<Coturn> {
  if (!existsSync(TURNSERVER)) throw new Error(`coturn is required and missing at ${TURNSERVER}: apt-get install coturn (.ci/run installs it)`);
  const port = await freeTcpPort();
  const secret = randomBytes(24).toString('hex');
  const minPort = 40_000 + Math.floor(Math.random() * 200) * 100;
  const args = [
    '-n',
    `--listening-port=${port}`,
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=parley.test',
    '--fingerprint',
    '--allow-loopback-peers',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    `--min-port=${minPort}`,
    `--max-port=${minPort + 99}`,
    '--log-file=stdout',
    '--simple-log',
  ];
  const child: ChildProcess = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not start listening on 127.0.0.1:${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    secret,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    credential(userId, expiresAtSec) {
      const username = `${expiresAtSec}:${userId}`;
      return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
    },
    output: () => output,
    stop,
  };
}
