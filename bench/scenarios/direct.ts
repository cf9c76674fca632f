import { numberList, parseOptions } from '../lib/args.ts';
import { ladderComparison, type LadderRuns } from '../lib/compare.ts';
import { runLadder } from '../lib/ladder.ts';
import { LoadGenerator } from '../lib/load.ts';
import { referencesFrom, withReference } from '../lib/references.ts';
import { publish } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createDirectPairs, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Direct throughput: `users` sessions in users/2 direct conversations, every user sending
 * into their own pair, at a ladder of total rates. Each message is persisted (acked with
 * its seq) and delivered to both members' sessions; the figure is persisted messages/s.
 * The same pairs (a room each) and the same ladder run first against the bare relay and
 * Socket.IO (`--ceiling false`, `--socketio false` to skip them), then against Parley.
 * `--nodes 2` (PostgreSQL + Redis) puts the two members of each pair on different nodes, so
 * every delivery crosses the broker, as between two people on different nodes of a cluster.
 */
export async function direct(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { users: 5000, rates: '100,250,500,1000,2000,5000,10000,20000,40000', step: 5, settle: 10, store: 'sqlite', port: 9200, profile: '', synchronous: 'FULL', writer: 'thread', nodes: 1, ceiling: true, socketio: true });
  const env = environment();
  const rates = numberList(options.rates);
  const pairs = Math.floor(options.users / 2);
  const scenario = `direct-${options.store}${options.store === 'sqlite' && options.synchronous !== 'FULL' ? `-${options.synchronous.toLowerCase()}` : ''}${options.store === 'sqlite' && options.writer !== 'thread' ? `-${options.writer}` : ''}${options.nodes > 1 ? `-${options.nodes}-nodes` : ''}`;
  log(`${scenario}: ${pairs * 2} users in ${pairs} direct conversations, rates ${rates.join(', ')}/s`);
  const ladder = { rates, stepMs: options.step * 1000, settleMs: options.settle * 1000, senders: Array.from({ length: pairs * 2 }, (_, i) => i), fanout: 2 };
  // Two load-generator processes, as for Parley, whatever the server.
  const perWorker = Math.ceil((pairs * 2) / 2);
  const runs: LadderRuns = {};

  for (const reference of referencesFrom(options)) {
    log(`${reference}:`);
    const sessions = Array.from({ length: pairs * 2 }, (_, i) => ({ userId: userId(i), room: `pair-${Math.floor(i / 2)}` }));
    runs[reference] = await withReference(reference, options.port, sessions, { perWorker }, async (load, server) => {
      const connected = await load.connect();
      log(`  ${connected.ready}/${sessions.length} connected in ${Math.round(connected.ms)} ms`);
      return runLadder(load, { ...ladder, serverPids: () => [server.pid] }, log);
    });
  }

  log('parley:');
  const cluster = await startCluster({ nodes: options.nodes, store: options.store as Store, redisUrl: env.redisUrl, postgresUrl: env.postgresUrl, basePort: options.port, env: { SQLITE_SYNCHRONOUS: options.synchronous, SQLITE_WRITER: options.writer }, ...(options.profile ? { profileDir: options.profile } : {}) });
  try {
    const base = cluster.nodes[0]!.url;
    await createUsers(base, pairs * 2);
    const conversations = await createDirectPairs(base, pairs);
    const specs: SessionSpec[] = Array.from({ length: pairs * 2 }, (_, i) => ({ protocol: 'parley', userId: userId(i), url: wsUrl(cluster.nodes[i % cluster.nodes.length]!.url), token: mintToken(userId(i)), conversationId: conversations[Math.floor(i / 2)]! }));
    const load = LoadGenerator.create(specs, { perWorker });
    try {
      const connected = await load.connect();
      log(`  ${connected.ready}/${specs.length} connected in ${Math.round(connected.ms)} ms`);
      runs.parley = await runLadder(load, { ...ladder, serverPids: () => cluster.nodes.map((node) => node.pid) }, log);
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }
  const comparison = ladderComparison(runs, rates, { label: 'persisted msgs/s', of: (step) => Math.round(step.acked / options.step) });
  publish({
    command: 'direct',
    scenario,
    options,
    ...comparison,
    notes: [
      `Store ${options.store}${options.store === 'sqlite' ? `, synchronous=${options.synchronous}, writer ${options.writer}` : ''}${options.nodes > 1 ? `; ${options.nodes} Parley nodes joined through Redis, the two members of each pair on different nodes` : ''}; ${pairs} pairs, everyone sending into their own pair. "persisted msgs/s" is acknowledged sends per second (the relay and Socket.IO acknowledge without storing anything).`,
      ...comparison.notes,
    ],
  });
}
