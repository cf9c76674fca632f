import { numberList, parseOptions } from '../lib/args.ts';
import { Histogram } from '../lib/histogram.ts';
import { sampleAll } from '../lib/proc.ts';
import { publish, round, type Report } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createConversation, createDirectPairs, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import { environment, log } from './common.ts';

/**
 * Call control (docs/calls.md), not media:
 * 1. cycles: `concurrency` workers each walk their own direct pairs, one call at a time:
 *    start (caller) → accept (callee) → end (caller), over HTTP, for `seconds`. Each cycle
 *    is three transactions under the conversation lock and four log events (started,
 *    joined, ended… plus the ring frame). Figures: calls/s, per-operation latency.
 * 2. ring latency: a group of N members, each with a socket open; the owner starts a call
 *    and the time until each member's socket has its `call_ring` is measured (the ring is
 *    one broker publish per callee, fanned out to their sessions). `rounds` calls per N.
 */
export async function calls(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { pairs: 400, concurrency: 32, seconds: 10, ring: '10,100,500', rounds: 20, store: 'sqlite', port: 9400 });
  const env = environment();
  const ringSizes = numberList(options.ring);
  const largest = Math.max(...ringSizes);
  const scenario = `calls-${options.store}`;
  log(`${scenario}: ${options.pairs} pairs, ${options.concurrency} concurrent call cycles for ${options.seconds} s; ring latency to ${ringSizes.join(', ')} devices`);
  const cluster = await startCluster({
    nodes: 1,
    store: options.store as Store,
    postgresUrl: env.postgresUrl,
    basePort: options.port,
    env: { RATE_LIMIT_CALLS_PER_USER: 'off', CALL_MAX_RING: String(Math.max(largest, 50)), CALL_RING_TIMEOUT_MS: '60000' },
  });
  const rows: Report['rows'] = [];
  const notes: string[] = [];
  try {
    const base = cluster.nodes[0]!.url;
    const users = Math.max(options.pairs * 2, largest + 1);
    await createUsers(base, users);
    const conversations = await createDirectPairs(base, options.pairs);

    // --- 1. start / accept / end cycles -------------------------------------------------
    const post = async (path: string, user: number, latency: Histogram): Promise<any> => {
      const started = performance.now();
      const response = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' }, body: path.endsWith('/calls') ? '{"kind":"voice"}' : '{}' });
      const body = await response.json();
      latency.recordMs(performance.now() - started);
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
      return body;
    };
    const tokens = Array.from({ length: users }, (_, i) => mintToken(userId(i)));
    const startLatency = new Histogram();
    const acceptLatency = new Histogram();
    const endLatency = new Histogram();
    let cycles = 0;
    let failures = 0;
    const deadline = performance.now() + options.seconds * 1000;
    const cpuBefore = sampleAll([cluster.nodes[0]!.pid]);
    const began = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let k = worker; performance.now() < deadline; k += options.concurrency) {
        const pair = k % options.pairs;
        const [caller, callee] = [2 * pair, 2 * pair + 1];
        try {
          const { call } = await post(`/v1/conversations/${conversations[pair]}/calls`, caller, startLatency);
          await post(`/v1/calls/${call.id}/accept`, callee, acceptLatency);
          await post(`/v1/calls/${call.id}/end`, caller, endLatency);
          cycles++;
        } catch (error) {
          failures++;
          if (failures <= 3) log(`  cycle failed: ${(error as Error).message}`);
        }
      }
    }));
    const elapsed = (performance.now() - began) / 1000;
    const cpuAfter = sampleAll([cluster.nodes[0]!.pid]);
    const cpuPct = round(((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / elapsed) * 100);
    log(`  ${cycles} calls in ${round(elapsed)} s (${round(cycles / elapsed)} calls/s), ${failures} failed, server CPU ${cpuPct} %`);
    for (const [operation, latency] of [['start', startLatency], ['accept', acceptLatency], ['end', endLatency]] as const) {
      rows.push({
        measure: `${operation} (HTTP, ${options.concurrency} concurrent)`,
        'per s': round(latency.total / elapsed),
        'p50 / p95 / p99 ms': `${round(latency.percentile(50))} / ${round(latency.percentile(95))} / ${round(latency.percentile(99))}`,
        'max ms': round(latency.max),
      });
    }
    notes.push(`${round(cycles / elapsed)} complete calls/s (start → accept → end, ${failures} failed), server process CPU ${cpuPct} % of one core, store ${options.store}.`);

    // --- 2. ring latency to N devices -----------------------------------------------------
    for (const size of ringSizes) {
      const group = await createConversation(base, 'group', size + 1);
      const sockets = await Promise.all(Array.from({ length: size }, (_, i) => openSocket(wsUrl(base), tokens[i + 1]!)));
      const latency = new Histogram();
      const lastDevice = new Histogram();
      try {
        for (let round_ = 0; round_ < options.rounds; round_++) {
          const arrivals: Array<Promise<number>> = sockets.map((socket) => socket.nextRing());
          const sent = performance.now();
          const { call } = await post(`/v1/conversations/${group}/calls`, 0, new Histogram());
          const times = await Promise.all(arrivals);
          for (const at of times) latency.recordMs(at - sent);
          lastDevice.recordMs(Math.max(...times) - sent);
          await post(`/v1/calls/${call.id}/end`, 0, new Histogram());
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
      rows.push({
        measure: `ring to ${size} devices (${options.rounds} calls)`,
        'per s': '',
        'p50 / p95 / p99 ms': `${round(latency.percentile(50))} / ${round(latency.percentile(95))} / ${round(latency.percentile(99))}`,
        'max ms': round(latency.max),
        'last device p50 ms': round(lastDevice.percentile(50)),
      });
      log(`  ring to ${size}: p50 ${round(latency.percentile(50))} ms, last device p50 ${round(lastDevice.percentile(50))} ms`);
    }
  } finally {
    await cluster.close();
  }
  notes.push('Ring latency: from sending `POST …/calls` to a `call_ring` frame on each member\'s socket (includes the start transaction); "last device": until the last of the N has it.');
  publish({ command: 'calls', scenario, options, rows, notes });
}

/** A bare socket that resolves, per call, when its next `call_ring` arrives. */
async function openSocket(url: string, token: string): Promise<{ nextRing(): Promise<number>; close(): void }> {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
  let waiting: ((at: number) => void) | null = null;
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('message', (event) => {
      const data = String(event.data);
      if (data.startsWith('{"t":"ready"')) resolve();
      else if (data.startsWith('{"t":"call_ring"') && waiting) {
        const done = waiting;
        waiting = null;
        done(performance.now());
      }
    });
    ws.addEventListener('error', () => reject(new Error('socket failed')), { once: true });
    setTimeout(() => reject(new Error('socket not ready in 30 s')), 30_000).unref();
  });
  return {
    nextRing: () => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no call_ring within 30 s')), 30_000);
      waiting = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    }),
    close: () => ws.close(),
  };
}
