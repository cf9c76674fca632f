import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inCi } from '../../packages/server/test/support/services.ts';

/**
 * A PostgreSQL cluster and a Redis server of a test's own, on free ports, that the test may
 * stop, restart and kill: the fault suites never touch the machine's shared instances (other
 * suites run against them at the same time).
 */

/** A port nobody listens on right now (the kernel picks it; closed again at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  // Highest major version first: "17" before "15".
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the private services cannot run here (null when they can). Under CI=true a missing
 * tool is an error, never a skip: .ci/run installs PostgreSQL and Redis.
 */
export function privateServicesMissing(): string | null {
  const missing = [postgresBinDir() ? null : 'PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)', commandExists('redis-server') ? null : 'redis-server'].filter(Boolean);
  if (!missing.length) return null;
  const reason = `${missing.join(' and ')} not installed`;
  if (inCi) throw new Error(`${reason} and CI=true: the fault suites must run`);
  process.stderr.write(`# ${reason}: the fault suites are skipped\n`);
  return reason;
}

/** initdb refuses to run as root: the cluster then belongs to the `postgres` user. */
const asRoot = process.getuid?.() === 0;

function runPostgresTool(bin: string, tool: string, args: string[]): string {
  const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
  return execFileSync(command[0]!, command.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` for a new empty database. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: sessions are cut, as in a restart or failover). */
  stop(): void;
  start(): void;
  dispose(): void;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries are not installed');
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  // Durability is not under test (a fast shutdown writes everything): fsync off spares the shared disk.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const pgCtl = (...args: string[]) => runPostgresTool(bin, 'pg_ctl', ['-D', data, ...args]);
  let running = false;
  const disposeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    runPostgresTool(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    pgCtl('-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start');
    running = true;
  } catch (error) {
    disposeDir();
    throw error;
  }
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop() {
      pgCtl('-m', 'fast', '-w', '-t', '60', 'stop');
      running = false;
    },
    start() {
      pgCtl('-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start');
      running = true;
    },
    dispose() {
      try {
        if (running) pgCtl('-m', 'immediate', '-w', '-t', '60', 'stop');
      } finally {
        running = false;
        disposeDir();
      }
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Stops the process (SIGTERM; no persistence, so it comes back empty, like a restarted cache). */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    output = '';
    const process_ = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = process_;
    process_.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    process_.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    const deadline = Date.now() + 20_000;
    while (!(await answersPing(port))) {
      if (process_.exitCode !== null || Date.now() > deadline) {
        process_.kill('SIGKILL');
        throw new Error(`redis-server on ${port} did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const current = child;
    child = null;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    await exited;
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => stop(),
    start,
    async dispose() {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
