import { parseOptions } from '../lib/args.ts';
import { Histogram } from '../lib/histogram.ts';
import { LoadGenerator } from '../lib/load.ts';
import { sampleAll } from '../lib/proc.ts';
import { publish, round, type Report } from '../lib/report.ts';
import { ADMIN_KEY, startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

const METRICS_TOKEN = 'bench-metrics-token-0123456789';

interface JoinRun {
  label: string;
  joins: number;
  seconds: number;
  joinsPerSec: number;
  join: ReturnType<Histogram['summary']>;
  failed: number;
  cpuSeconds: number;
  /** Worst and median of the server's event-loop delay p99 over 1-second windows (prom-client resets it at each scrape). */
  loopP99MaxMs: number;
  loopP99MedianMs: number;
  /** Frames the online members received while the joins ran. */
  frames: number;
  memberCount: number;
}

/**
 * Large-group joins (issue 21 item 6): `--joins` people, all online, join one public group
 * one after another (`--concurrency` HTTP joins in flight, as people arriving at once would),
 * on one node. Measured: time to the last join, each join's answer time, server CPU, the
 * event-loop delay (p99 per second, from the node's own metrics), and the frames pushed to
 * the members meanwhile. The same run does it first with membership coalescing off
 * (MEMBER_EVENTS_COALESCE_AT=0: every join pushed to every member online) for `--compare`
 * joins, the baseline, then with the default.
 */
export async function groupJoins(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { joins: 10_000, compare: 2_000, concurrency: 16, store: 'sqlite', synchronous: 'FULL', deadline: 1_800, port: 9500, profile: '' });
  const env = environment();
  const runs: JoinRun[] = [];
  if (options.compare > 0) runs.push(await runJoins(`coalescing off (every join pushed to every member)`, options.compare, options, env.postgresUrl, { MEMBER_EVENTS_COALESCE_AT: '0' }));
  runs.push(await runJoins('coalescing on (default threshold)', options.joins, options, env.postgresUrl, {}));

  const rows: Report['rows'] = runs.map((run) => ({
    run: run.label,
    joins: run.joins,
    'seconds': round(run.seconds, 1),
    'joins/s': round(run.joinsPerSec, 0),
    'join p50 / p99 / max ms': `${run.join.p50} / ${run.join.p99} / ${run.join.max}`,
    failed: run.failed,
    'server CPU-s': round(run.cpuSeconds, 1),
    'event-loop p99 ms (worst / median 1-s window)': `${run.loopP99MaxMs} / ${run.loopP99MedianMs}`,
    'frames pushed': run.frames,
    'member count': run.memberCount,
  }));
  const main = runs.at(-1)!;
  const notes = [
    `Target: 10,000 joins in < 30 s on one node with event-loop delay p99 < 200 ms: ${main.joins.toLocaleString('en')} joins took ${round(main.seconds, 1)} s, worst 1-s window p99 ${main.loopP99MaxMs} ms — ${main.joins >= 10_000 && main.seconds < 30 && main.loopP99MaxMs < 200 ? 'met' : 'not met'}.`,
    'Every member is online (a socket each) before the joins start; each join is `POST /v1/conversations/{id}/join` with the joiner\'s token. "frames pushed": every frame the members\' sockets received during the joins.',
  ];
  const baseline = runs.length > 1 ? runs[0]! : null;
  if (baseline) {
    notes.push(`Same run, coalescing off, ${baseline.joins.toLocaleString('en')} joins: ${round(baseline.seconds, 1)} s, ${round(baseline.cpuSeconds, 1)} CPU-s, ${baseline.frames.toLocaleString('en')} frames (${round(baseline.frames / baseline.joins, 0)} per join) against ${round(main.frames / main.joins, 1)} per join with coalescing.`);
  }
  publish({ scenario: `group-joins-${options.store}${options.store === 'sqlite' && options.synchronous !== 'FULL' ? `-${options.synchronous.toLowerCase()}` : ''}`, command: 'group-joins', options, rows, notes });
}

async function runJoins(label: string, joins: number, options: { concurrency: number; store: string; synchronous: string; deadline: number; port: number; profile: string }, postgresUrl: string, extraEnv: Record<string, string>): Promise<JoinRun> {
  log(`group-joins: ${label}: ${joins} joins, ${options.concurrency} at a time, store ${options.store}`);
  const cluster = await startCluster({
    nodes: 1, store: options.store as Store, postgresUrl, basePort: options.port,
    env: { MAX_GROUP_MEMBERS: String(Math.max(10_000, joins + 10)), SQLITE_SYNCHRONOUS: options.synchronous, METRICS_ENABLED: 'true', METRICS_TOKEN, ...extraEnv },
    ...(options.profile ? { profileDir: options.profile } : {}),
  });
  try {
    const base = cluster.nodes[0]!.url;
    const pid = cluster.nodes[0]!.pid;
    // u0 owns the group; u1…u(joins) join it.
    await createUsers(base, joins + 1);
    const created = await fetch(`${base}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mintToken(userId(0))}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'group', title: 'Bench joins', visibility: 'public', handle: `bench_joins_${Date.now().toString(36)}`, memberIds: [] }),
    });
    if (!created.ok) throw new Error(`creating the group: ${created.status} ${await created.text()}`);
    const conversationId = ((await created.json()) as { conversation: { id: string } }).conversation.id;

    const specs: SessionSpec[] = Array.from({ length: joins + 1 }, (_, i) => ({ protocol: 'parley', userId: userId(i), url: wsUrl(base), token: mintToken(userId(i)), conversationId }));
    const load = LoadGenerator.create(specs);
    try {
      const connected = await load.connect({ concurrency: 200 });
      log(`  ${connected.ready}/${specs.length} online in ${Math.round(connected.ms)} ms`);
      await load.stats(true);
      const loop = watchEventLoop(base);
      const cpuBefore = sampleAll([pid]).cpuSeconds;
      const started = performance.now();
      const latency = new Histogram();
      let next = 1;
      let failed = 0;
      // Bounded in time too (`--deadline` seconds): past it no join starts, and the figures say how many were done.
      const deadline = started + options.deadline * 1000;
      let done = 0;
      await Promise.all(Array.from({ length: options.concurrency }, async () => {
        while (next <= joins && performance.now() < deadline) {
          const i = next++;
          const t0 = performance.now();
          const response = await fetch(`${base}/v1/conversations/${conversationId}/join`, { method: 'POST', headers: { authorization: `Bearer ${mintToken(userId(i))}` } });
          await response.arrayBuffer();
          latency.recordMs(performance.now() - t0);
          if (!response.ok) failed++;
          done++;
          if (i % 1000 === 0) log(`  ${i} joined after ${round((performance.now() - started) / 1000, 1)} s`);
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = sampleAll([pid]).cpuSeconds - cpuBefore;
      const loopWindows = await loop.stop();
      // The last coalesced notice goes out within MEMBER_EVENTS_COALESCE_MS: count frames after it.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const totals = await load.stats(true);
      const summary = await fetch(`${base}/v1/admin/conversations/${conversationId}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const memberCount = summary.ok ? ((await summary.json()) as { conversation: { memberCount: number } }).conversation.memberCount : -1;
      const sorted = [...loopWindows].sort((a, b) => a - b);
      if (done < joins) log(`  the deadline stopped the joins after ${done} of ${joins}`);
      const run: JoinRun = {
        label, joins: done, seconds, joinsPerSec: done / seconds, join: latency.summary(), failed, cpuSeconds,
        loopP99MaxMs: round(sorted.at(-1) ?? 0, 1), loopP99MedianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0, 1),
        frames: totals.frames, memberCount,
      };
      log(`  ${done} joins in ${round(seconds, 1)} s, ${round(cpuSeconds, 1)} CPU-s, loop p99 worst ${run.loopP99MaxMs} ms, ${totals.frames} frames, ${failed} failed`);
      return run;
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }
}

/** Scrapes the node's `nodejs_eventloop_lag_p99_seconds` once a second (prom-client resets the histogram after each scrape). */
function watchEventLoop(base: string): { stop(): Promise<number[]> } {
  const windows: number[] = [];
  let running = true;
  const scrape = async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await response.text();
    const match = /^nodejs_eventloop_lag_p99_seconds\s+([0-9.eE+-]+)/m.exec(text);
    if (match) windows.push(Number(match[1]) * 1000);
  };
  const loop = (async () => {
    await scrape().catch(() => {});
    windows.length = 0;
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await scrape().catch(() => {});
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return windows;
    },
  };
}
