import WebSocket from 'ws';
import { numberList, parseOptions } from '../lib/args.ts';
import { Histogram } from '../lib/histogram.ts';
import { sampleAll } from '../lib/proc.ts';
import { publish, round } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import { environment, log } from './common.ts';

/**
 * What one connect costs for a user in many conversations: a connect reads all of the
 * user's memberships and subscribes each conversation (MAX_CONVERSATIONS_PER_USER bounds
 * how many). One user per size, each in that many direct conversations; the user connects
 * again and again, alone, and the time from opening the socket to `ready` and the server's
 * CPU per connect are reported against the same run's user in one conversation.
 */
export async function connectBreadth(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { sizes: '1,1000,10000', connects: 30, store: 'sqlite', port: 9400, profile: '' });
  const sizes = numberList(options.sizes).sort((a, b) => a - b);
  const env = environment();
  const store = options.store as Store;
  log(`connect-breadth: users in ${sizes.join(', ')} conversations, ${options.connects} connects each, store ${store}`);
  const largest = sizes.at(-1)!;
  const cluster = await startCluster({
    nodes: 1, store, postgresUrl: env.postgresUrl, basePort: options.port,
    env: { MAX_CONVERSATIONS_PER_USER: String(Math.max(10, largest)), RATE_LIMIT_CONVERSATIONS_PER_USER: 'off', RATE_LIMIT_CONNECTS_PER_USER: 'off', RATE_LIMIT_CONNECTS_PER_IP: 'off' },
    ...(options.profile ? { profileDir: options.profile } : {}),
  });
  const node = cluster.nodes[0]!;
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  try {
    // Users 0…sizes.length-1 are the measured ones; the peers of their direct conversations follow.
    const peersFrom = sizes.length;
    await createUsers(node.url, peersFrom + largest);
    for (const [i, size] of sizes.entries()) {
      await directsWithPeers(node.url, userId(i), size, peersFrom);
      log(`  ${userId(i)} is in ${size} conversations`);
    }
    let baselineMs = 0;
    let baselineCpuMs = 0;
    for (const [i, size] of sizes.entries()) {
      const token = mintToken(userId(i));
      await connectOnce(node.url, token); // warm-up: the first connect pays for caches and JIT
      const times = new Histogram();
      const before = sampleAll([node.pid]);
      for (let k = 0; k < options.connects; k++) times.recordMs(await connectOnce(node.url, token));
      const after = sampleAll([node.pid]);
      const p50 = times.percentile(50);
      const cpuMs = ((after.cpuSeconds - before.cpuSeconds) * 1000) / options.connects;
      if (i === 0) {
        baselineMs = p50;
        baselineCpuMs = cpuMs;
      }
      rows.push({
        conversations: size,
        'connect → ready p50 ms': round(p50, 1),
        'p95 ms': round(times.percentile(95), 1),
        'server CPU ms per connect': round(cpuMs, 2),
        'p50 vs 1 conversation': `${round(p50 / baselineMs, 1)}×`,
        'CPU vs 1 conversation': `${round(cpuMs / baselineCpuMs, 1)}×`,
      });
      log(`  ${size} conversations: p50 ${round(p50, 1)} ms, ${round(cpuMs, 2)} CPU ms per connect`);
    }
    notes.push('Each connect opens a socket, authenticates, reads the user\'s memberships and subscribes every conversation before `ready`; measured one at a time, so this is latency and cost per connect, not a storm.');
  } finally {
    await cluster.close();
  }
  publish({ scenario: `connect-breadth ${store}`, command: 'connect-breadth', options, rows, notes });
}

/** `user` gets a direct conversation with each of `count` peers, created by the peers. */
async function directsWithPeers(base: string, user: string, count: number, peersFrom: number, concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const peer = userId(peersFrom + next++);
        const response = await fetch(`${base}/v1/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${mintToken(peer)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'direct', userId: user }),
        });
        if (!response.ok) throw new Error(`direct ${peer} → ${user}: ${response.status} ${await response.text()}`);
      }
    }),
  );
}

/** Milliseconds from opening a socket to its `ready` frame; the socket is closed after. */
function connectOnce(base: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = new WebSocket(wsUrl(base), { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no ready within 60 s'));
    }, 60_000);
    socket.on('open', () => socket.send(JSON.stringify({ t: 'auth', id: 'a', token })));
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"t":"ready"')) {
        clearTimeout(timer);
        const ms = performance.now() - started;
        socket.once('close', () => resolve(ms));
        socket.close();
      } else if (text.startsWith('{"t":"error"')) {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`connect refused: ${text}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
