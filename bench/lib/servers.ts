import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BENCH_IDP } from './tokens.ts';

const PARLEY_MAIN = fileURLToPath(new URL('../../packages/server/src/main.ts', import.meta.url));
const CEILING_MAIN = fileURLToPath(new URL('../ceiling-server.ts', import.meta.url));
const SOCKETIO_MAIN = fileURLToPath(new URL('../socketio-server.ts', import.meta.url));

export const ADMIN_KEY = 'bench-admin-key-0123456789';

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last 8,000 characters the server wrote to stderr (what it said before failing). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export type Store = 'sqlite' | 'postgres';

export interface ClusterOptions {
  nodes: number;
  store: Store;
  /** Required with more than one node. */
  redisUrl?: string;
  postgresUrl: string;
  basePort: number;
  env?: Record<string, string>;
  /** Write a V8 CPU profile of every node to this directory (`node --cpu-prof`). */
  profileDir?: string;
}

export interface Cluster {
  nodes: ServerProcess[];
  /** Node i's DATA_DIR (its SQLite file is `parley.db` there). */
  dataDirOf(index: number): string;
  /** The run's PostgreSQL database, when the store is PostgreSQL. */
  databaseUrl: string | null;
  /** Stops every node, then drops the run's database and data directory. */
  close(): Promise<void>;
  /** Restarts node i with the same configuration (for the reconnect storm). */
  restart(index: number, signal?: NodeJS.Signals): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} not ready after ${timeoutMs} ms:\n${output()}`);
}

function startProcess(main: string, env: Record<string, string>, url: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...extraArgs, '--conditions=development', main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: ServerProcess = {
    url,
    pid: child.pid!,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return waitHealthy(url, child, () => output).then(() => server, async (error: unknown) => {
    await server.stop('SIGKILL');
    throw error;
  });
}

/**
 * Parley nodes as real processes (`packages/server/src/main.ts`), on SQLite in a fresh
 * directory or on a fresh PostgreSQL database, joined through Redis when there are
 * several. Limits that would throttle a load test (rate limits, the lag-based overload
 * guard) are switched off; everything else is the production default.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.nodes > 1 && options.store === 'sqlite') throw new Error('several nodes need --store postgres (SQLite is one process\'s embedded store)');
  if (options.nodes > 1 && !options.redisUrl) throw new Error('several nodes need REDIS_URL');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let database: string | null = null;
  let databaseUrl: string | undefined;
  if (options.store === 'postgres') {
    database = `parley_bench_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: options.postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(options.postgresUrl);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
  }
  // The run's own Redis keys (presence, rate limits, channels), removed afterwards: a run's
  // leftovers must not slow the presence sweep of whatever shares this Redis next.
  const redisPrefix = `parley-bench-${process.pid}:`;
  const envFor = (index: number): Record<string, string> => ({
    HOST: '127.0.0.1',
    PORT: String(options.basePort + index),
    DATA_DIR: join(dataDir, `node-${index}`),
    LOG_LEVEL: 'warn',
    ADMIN_API_KEY: ADMIN_KEY,
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijkl',
    AUTH_JWT_ISSUER: BENCH_IDP.issuer,
    AUTH_JWT_AUDIENCE: BENCH_IDP.audience,
    AUTH_JWT_SECRET: BENCH_IDP.secret,
    RATE_LIMIT_SENDS_PER_USER: 'off',
    RATE_LIMIT_SENDS_PER_IP: 'off',
    RATE_LIMIT_CONNECTS_PER_USER: 'off',
    RATE_LIMIT_CONNECTS_PER_IP: 'off',
    OVERLOAD_EVENT_LOOP_LAG_MS: '0',
    METRICS_ENABLED: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.nodes > 1 && options.redisUrl ? { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: redisPrefix } : {}),
    ...options.env,
  });
  const nodes: ServerProcess[] = [];
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const start = (index: number) => startProcess(PARLEY_MAIN, envFor(index), `http://127.0.0.1:${options.basePort + index}`, profile);
  try {
    // The first node runs the migrations; the others start once it is up.
    nodes.push(await start(0));
    nodes.push(...(await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => start(i + 1)))));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    throw error;
  }
  return {
    nodes,
    dataDirOf: (index) => join(dataDir, `node-${index}`),
    databaseUrl: databaseUrl ?? null,
    async restart(index, signal = 'SIGKILL') {
      await nodes[index]!.stop(signal);
      nodes[index] = await start(index);
    },
    async close() {
      await Promise.all(nodes.map((node) => node.stop()));
      rmSync(dataDir, { recursive: true, force: true });
      if (options.nodes > 1 && options.redisUrl) await deleteRedisKeys(options.redisUrl, redisPrefix);
      if (database) {
        const admin = new pg.Client({ connectionString: options.postgresUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The ceiling: bench/ceiling-server.ts, a bare `ws` broadcaster (no auth, no storage). */
export function startCeiling(port: number): Promise<ServerProcess> {
  return startProcess(CEILING_MAIN, { PORT: String(port) }, `http://127.0.0.1:${port}`);
}

/** The second reference: bench/socketio-server.ts, Socket.IO 4 rooms with token auth (no storage). */
export function startSocketIo(port: number): Promise<ServerProcess> {
  return startProcess(SOCKETIO_MAIN, { PORT: String(port) }, `http://127.0.0.1:${port}`);
}
