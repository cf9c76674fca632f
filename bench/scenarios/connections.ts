import { parseOptions } from '../lib/args.ts';
import { LoadGenerator } from '../lib/load.ts';
import { sampleAll } from '../lib/proc.ts';
import { publish, round } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Idle authenticated sessions: server memory per session and connect rate, then (with
 * --storm) every node is killed and restarted and the time until every session is back
 * and ready is measured. One server process holds at most ~19,500 sockets here (20,000
 * open files per process): more sessions need --nodes N (PostgreSQL + Redis).
 */
export async function connections(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { sessions: 19_500, nodes: 1, store: 'sqlite', storm: false, concurrency: 200, port: 9300, profile: '' });
  const env = environment();
  const perNode = Math.ceil(options.sessions / options.nodes);
  if (perNode > 19_500) throw new Error(`${perNode} sessions per node is past one process's open-file limit: use --nodes ${Math.ceil(options.sessions / 19_500)}`);
  const store = (options.nodes > 1 ? 'postgres' : options.store) as Store;
  options.store = store;
  log(`connections: ${options.sessions} sessions over ${options.nodes} node(s), store ${store}`);
  const cluster = await startCluster({ nodes: options.nodes, store, redisUrl: env.redisUrl, postgresUrl: env.postgresUrl, basePort: options.port, env: { WS_MAX_CONNECTIONS: String(perNode + 100) }, ...(options.profile ? { profileDir: options.profile } : {}) });
  const pids = () => cluster.nodes.map((node) => node.pid);
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  try {
    await createUsers(cluster.nodes[0]!.url, options.sessions);
    const specs: SessionSpec[] = Array.from({ length: options.sessions }, (_, i) => ({ userId: userId(i), url: wsUrl(cluster.nodes[i % options.nodes]!.url), token: mintToken(userId(i)), conversationId: '-' }));
    const load = LoadGenerator.create(specs);
    try {
      // A few sessions first, so the baseline includes everything a first connection loads.
      const before = sampleAll(pids());
      const connected = await load.connect({ concurrency: options.concurrency, reconnect: options.storm });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = sampleAll(pids());
      const perSession = (after.rssBytes - before.rssBytes) / Math.max(1, connected.ready);
      rows.push({
        sessions: connected.ready,
        nodes: options.nodes,
        'connect time s': round(connected.ms / 1000, 1),
        'connects/s': Math.round(connected.ready / (connected.ms / 1000)),
        'server RSS MB': round(after.rssBytes / 2 ** 20, 0),
        'RSS per session KB': round(perSession / 1024, 1),
        'server CPU s (connect)': round(after.cpuSeconds - before.cpuSeconds, 1),
      });
      log(`  ${connected.ready}/${options.sessions} ready in ${round(connected.ms / 1000)} s; ${round(perSession / 1024, 1)} KB RSS per session`);
      if (options.storm) {
        const restarted = performance.now();
        await Promise.all(cluster.nodes.map((_, i) => cluster.restart(i, 'SIGKILL')));
        const up = performance.now();
        const deadline = up + 120_000;
        let totals = await load.stats();
        while (totals.ready < connected.ready && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          totals = await load.stats();
        }
        const backSec = (performance.timeOrigin + performance.now() - (performance.timeOrigin + restarted)) / 1000;
        const storm = `${totals.ready}/${connected.ready} sessions back and ready ${round(backSec, 1)} s after the kill (servers up after ${round((up - restarted) / 1000, 1)} s; ${totals.reconnects} reconnect attempts; close codes seen: ${closeCodes(totals.closes)})`;
        log(`  storm: ${storm}`);
        notes.push(`Reconnect storm: ${storm}.`);
      }
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }
  publish({ command: 'connections', scenario: options.nodes > 1 ? 'connections-multi-node' : 'connections', options, rows, notes });
}

/** `1006 ×3, 4008 ×12`: why the sockets of a run were closed, most frequent first. */
function closeCodes(closes: Record<string, number>): string {
  const entries = Object.entries(closes).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([code, count]) => `${code} ×${count}`).join(', ');
}
