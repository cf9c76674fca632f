import { connect } from 'node:net';

/**
 * Which real services the suites can use. A suite that needs PostgreSQL or Redis runs
 * whenever the service is reachable; with CI=true an unreachable one is a failure,
 * never a silent skip.
 */
export const inCi = process.env.CI === 'true';

export const postgresUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    // A refused connection answers at once; only a silent one waits. On a loaded machine
    // (load average far above the core count) a local connect has been seen to take over
    // 1.5 s, so the wait is generous: mistaking a busy service for a missing one fails CI.
    socket.setTimeout(10_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function require(name: string, url: string, defaultPort: number): Promise<boolean> {
  if (await reachable(url, defaultPort)) return true;
  if (inCi) throw new Error(`${name} at ${url} is unreachable and CI=true: its suites must run`);
  process.stderr.write(`# ${name} at ${url} is unreachable: its suites are skipped (they would fail with CI=true)\n`);
  return false;
}

export const hasPostgres: boolean = await require('PostgreSQL', postgresUrl, 5432);
export const hasRedis: boolean = await require('Redis', redisUrl, 6379);

/** NATS is asked for only by the suites that use it (the broker's), not by every suite that imports this. */
export const requireNats = (): Promise<boolean> => require('NATS', natsUrl, 4222);
