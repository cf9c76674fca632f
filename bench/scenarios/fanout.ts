import { parseOptions, numberList } from '../lib/args.ts';
import { bestSustainable, runLadder, type StepResult } from '../lib/ladder.ts';
import { LoadGenerator } from '../lib/load.ts';
import { publish, round, type Report } from '../lib/report.ts';
import { startCeiling, startCluster, type Store } from '../lib/servers.ts';
import { createConversation, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Group (or channel) fan-out: one conversation of `members` sessions, one publisher at a
 * ladder of rates. The same ladder runs first against the ceiling (bench/ceiling-server.ts)
 * and then against Parley, and every figure is reported beside the ceiling's as a ratio.
 * `--nodes 2` spreads the sessions over two Parley processes on PostgreSQL + Redis.
 */
export async function fanout(argv: string[], kind: 'group' | 'channel'): Promise<void> {
  const options = parseOptions(argv, {
    members: 1000,
    rates: '5,10,20,50,100,200,500',
    step: 5,
    settle: 10,
    store: 'sqlite',
    nodes: 1,
    ceiling: true,
    port: 9100,
    profile: '',
  });
  const env = environment();
  const rates = numberList(options.rates);
  const ladder = { rates, stepMs: options.step * 1000, settleMs: options.settle * 1000, senders: [0], fanout: options.members };
  const scenario = `${kind}-fanout-${options.members}${options.nodes > 1 ? `-${options.nodes}-nodes` : ''}`;
  log(`${scenario}: ${options.members} members, rates ${rates.join(', ')}/s, ${options.step} s steps, store ${options.store}, ${options.nodes} node(s)`);

  let ceiling: StepResult[] = [];
  if (options.ceiling) {
    log('ceiling (bare ws broadcast):');
    const server = await startCeiling(options.port + 50);
    const specs: SessionSpec[] = Array.from({ length: options.members }, (_, i) => ({ userId: userId(i), url: `${server.url.replace(/^http/, 'ws')}/?room=bench`, token: 'ceiling', conversationId: 'bench' }));
    const load = LoadGenerator.create(specs);
    try {
      const connected = await load.connect();
      log(`  ${connected.ready}/${options.members} connected in ${Math.round(connected.ms)} ms`);
      ceiling = await runLadder(load, { ...ladder, serverPids: () => [server.pid] }, log);
    } finally {
      await load.close();
      await server.stop();
    }
  }

  log('parley:');
  const cluster = await startCluster({ nodes: options.nodes, store: options.store as Store, redisUrl: env.redisUrl, postgresUrl: env.postgresUrl, basePort: options.port, env: { MAX_GROUP_MEMBERS: String(Math.max(10_000, options.members)), MAX_CHANNEL_MEMBERS: String(Math.max(1_000_000, options.members)) }, ...(options.profile ? { profileDir: options.profile } : {}) });
  let parley: StepResult[] = [];
  try {
    const base = cluster.nodes[0]!.url;
    await createUsers(base, options.members);
    const conversationId = await createConversation(base, kind, options.members);
    const specs: SessionSpec[] = Array.from({ length: options.members }, (_, i) => ({ userId: userId(i), url: wsUrl(cluster.nodes[i % cluster.nodes.length]!.url), token: mintToken(userId(i)), conversationId }));
    const load = LoadGenerator.create(specs);
    try {
      const connected = await load.connect();
      log(`  ${connected.ready}/${options.members} connected in ${Math.round(connected.ms)} ms`);
      parley = await runLadder(load, { ...ladder, serverPids: () => cluster.nodes.map((node) => node.pid) }, log);
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }

  const rows: Report['rows'] = [];
  for (const rate of rates) {
    const c = ceiling.find((step) => step.rate === rate);
    const p = parley.find((step) => step.rate === rate);
    if (!c && !p) continue;
    rows.push({
      'msgs/s': rate,
      'Parley deliveries/s': p?.deliveriesPerSec ?? '—',
      'ceiling deliveries/s': c?.deliveriesPerSec ?? '—',
      'Parley p50 / p99 ms': p ? `${p.p50} / ${p.p99}` : '—',
      'ceiling p50 / p99 ms': c ? `${c.p50} / ${c.p99}` : '—',
      'p99 ratio': p && c && c.p99 > 0 ? round(p.p99 / c.p99, 2) : '—',
      'deliveries per CPU-s (P / C)': `${p?.perCpuSecond ?? '—'} / ${c?.perCpuSecond ?? '—'}`,
      'sustainable (P / C)': `${p ? (p.sustainable ? 'yes' : 'no') : '—'} / ${c ? (c.sustainable ? 'yes' : 'no') : '—'}`,
    });
  }
  const bestP = bestSustainable(parley);
  const bestC = bestSustainable(ceiling);
  const notes = [
    `Highest sustainable: Parley ${bestP ? `${bestP.rate} msgs/s (${bestP.deliveriesPerSec} deliveries/s)` : 'none'}, ceiling ${!options.ceiling ? 'not run' : bestC ? `${bestC.rate} msgs/s (${bestC.deliveriesPerSec} deliveries/s)` : 'none'}` +
      (bestP && bestC ? `: ratio ${round(bestP.deliveriesPerSec / bestC.deliveriesPerSec, 2)}` : ''),
  ];
  const cpuP = bestP?.perCpuSecond;
  const cpuC = bestC?.perCpuSecond;
  if (cpuP && cpuC) notes.push(`Deliveries per server CPU-second at those rates: ratio ${round(cpuP / cpuC, 2)}`);
  publish({ command: `${kind}-fanout`, scenario, options, rows, notes });
}
