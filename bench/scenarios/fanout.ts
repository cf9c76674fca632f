import { parseOptions, numberList } from '../lib/args.ts';
import { ladderComparison, type LadderRuns } from '../lib/compare.ts';
import { runLadder } from '../lib/ladder.ts';
import { LoadGenerator } from '../lib/load.ts';
import { referencesFrom, withReference } from '../lib/references.ts';
import { publish } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createConversation, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Group (or channel) fan-out: one conversation of `members` sessions, one publisher at a
 * ladder of rates. The same ladder runs first against the bare relay (the ceiling,
 * bench/ceiling-server.ts) and Socket.IO rooms (bench/socketio-server.ts), then against
 * Parley, and Parley's figures are reported beside theirs as ratios.
 * `--nodes 2` spreads the Parley sessions over two processes on PostgreSQL + Redis.
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
    socketio: true,
    port: 9100,
    profile: '',
  });
  const env = environment();
  const rates = numberList(options.rates);
  const ladder = { rates, stepMs: options.step * 1000, settleMs: options.settle * 1000, senders: [0], fanout: options.members };
  const scenario = `${kind}-fanout-${options.members}${options.nodes > 1 ? `-${options.nodes}-nodes` : ''}`;
  log(`${scenario}: ${options.members} members, rates ${rates.join(', ')}/s, ${options.step} s steps, store ${options.store}, ${options.nodes} node(s)`);
  const runs: LadderRuns = {};

  for (const reference of referencesFrom(options)) {
    log(`${reference}:`);
    const sessions = Array.from({ length: options.members }, (_, i) => ({ userId: userId(i), room: 'bench' }));
    runs[reference] = await withReference(reference, options.port, sessions, {}, async (load, server) => {
      const connected = await load.connect();
      log(`  ${connected.ready}/${options.members} connected in ${Math.round(connected.ms)} ms`);
      return runLadder(load, { ...ladder, serverPids: () => [server.pid] }, log);
    });
  }

  log('parley:');
  const cluster = await startCluster({ nodes: options.nodes, store: options.store as Store, redisUrl: env.redisUrl, postgresUrl: env.postgresUrl, basePort: options.port, env: { MAX_GROUP_MEMBERS: String(Math.max(10_000, options.members)), MAX_CHANNEL_MEMBERS: String(Math.max(1_000_000, options.members)) }, ...(options.profile ? { profileDir: options.profile } : {}) });
  try {
    const base = cluster.nodes[0]!.url;
    await createUsers(base, options.members);
    const conversationId = await createConversation(base, kind, options.members);
    const specs: SessionSpec[] = Array.from({ length: options.members }, (_, i) => ({ protocol: 'parley', userId: userId(i), url: wsUrl(cluster.nodes[i % cluster.nodes.length]!.url), token: mintToken(userId(i)), conversationId }));
    const load = LoadGenerator.create(specs);
    try {
      const connected = await load.connect();
      log(`  ${connected.ready}/${options.members} connected in ${Math.round(connected.ms)} ms`);
      runs.parley = await runLadder(load, { ...ladder, serverPids: () => cluster.nodes.map((node) => node.pid) }, log);
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }

  const comparison = ladderComparison(runs, rates, { label: 'deliveries/s', of: (step) => step.deliveriesPerSec });
  publish({ command: `${kind}-fanout`, scenario, options, ...comparison });
}
