import { numberList, parseOptions } from '../lib/args.ts';
import { bestSustainable, runLadder } from '../lib/ladder.ts';
import { LoadGenerator } from '../lib/load.ts';
import { publish, type Report } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createDirectPairs, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Direct throughput: `users` sessions in users/2 direct conversations, every user sending
 * into their own pair, at a ladder of total rates. Each message is persisted (acked with
 * its seq) and delivered to both members' sessions; the figure is persisted messages/s.
 */
export async function direct(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { users: 5000, rates: '500,1000,2000,5000,10000', step: 5, settle: 10, store: 'sqlite', port: 9200, profile: '', synchronous: 'FULL', writer: 'thread' });
  const env = environment();
  const rates = numberList(options.rates);
  const pairs = Math.floor(options.users / 2);
  const scenario = `direct-${options.store}${options.store === 'sqlite' && options.synchronous !== 'FULL' ? `-${options.synchronous.toLowerCase()}` : ''}${options.store === 'sqlite' && options.writer !== 'thread' ? `-${options.writer}` : ''}`;
  log(`${scenario}: ${pairs * 2} users in ${pairs} direct conversations, rates ${rates.join(', ')}/s`);
  const cluster = await startCluster({ nodes: 1, store: options.store as Store, postgresUrl: env.postgresUrl, basePort: options.port, env: { SQLITE_SYNCHRONOUS: options.synchronous, SQLITE_WRITER: options.writer }, ...(options.profile ? { profileDir: options.profile } : {}) });
  let steps;
  try {
    const base = cluster.nodes[0]!.url;
    await createUsers(base, pairs * 2);
    const conversations = await createDirectPairs(base, pairs);
    const specs: SessionSpec[] = Array.from({ length: pairs * 2 }, (_, i) => ({ userId: userId(i), url: wsUrl(base), token: mintToken(userId(i)), conversationId: conversations[Math.floor(i / 2)]! }));
    const load = LoadGenerator.create(specs, { perWorker: Math.ceil(specs.length / 2) });
    try {
      const connected = await load.connect();
      log(`  ${connected.ready}/${specs.length} connected in ${Math.round(connected.ms)} ms`);
      steps = await runLadder(load, { rates, stepMs: options.step * 1000, settleMs: options.settle * 1000, senders: specs.map((_, i) => i), fanout: 2, serverPids: () => [cluster.nodes[0]!.pid] }, log);
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }
  const rows: Report['rows'] = steps.map((step) => ({
    'offered msgs/s': step.rate,
    'persisted msgs/s': Math.round(step.acked / options.step),
    'p50 / p95 / p99 ms': `${step.p50} / ${step.p95} / ${step.p99}`,
    'max ms': step.max,
    lost: step.lost,
    sustainable: step.sustainable ? 'yes' : 'no',
  }));
  const best = bestSustainable(steps);
  publish({ command: 'direct', scenario, options, rows, notes: [`Highest sustainable offered rate: ${best ? `${best.rate} msgs/s` : 'none'} (store ${options.store}).`] });
}
