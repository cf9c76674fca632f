import { parseOptions } from '../lib/args.ts';
import { LoadGenerator } from '../lib/load.ts';
import { sampleAll, type ProcSample } from '../lib/proc.ts';
import { CONTENDER_NAMES, referencesFrom, withReference, type Contender } from '../lib/references.ts';
import { publish, round } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

/**
 * Idle authenticated sessions: server memory per session and connect rate, then (with
 * --storm) every node is killed and restarted and the time until every session is back
 * and caught up is measured (ready, then `sync` from where it stood answered, as the SDK
 * does on a reconnect). One server process holds at most ~19,500 sockets here (20,000
 * open files per process): more sessions need --nodes N (PostgreSQL + Redis).
 * With one node, the same number of idle sessions is first held by the bare relay and by
 * Socket.IO (`--ceiling false`, `--socketio false` to skip), for the same figures.
 */
export async function connections(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { sessions: 19_500, nodes: 1, store: 'sqlite', storm: false, concurrency: 200, port: 9300, profile: '', ceiling: true, socketio: true });
  const env = environment();
  const perNode = Math.ceil(options.sessions / options.nodes);
  if (perNode > 19_500) throw new Error(`${perNode} sessions per node is past one process's open-file limit: use --nodes ${Math.ceil(options.sessions / 19_500)}`);
  const store = (options.nodes > 1 ? 'postgres' : options.store) as Store;
  options.store = store;
  log(`connections: ${options.sessions} sessions over ${options.nodes} node(s), store ${store}`);
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  const idle: Partial<Record<Contender, IdleFigures>> = {};
  for (const reference of options.nodes === 1 ? referencesFrom(options) : []) {
    log(`${reference}:`);
    const sessions = Array.from({ length: options.sessions }, (_, i) => ({ userId: userId(i), room: `idle-${i}` }));
    idle[reference] = await withReference(reference, options.port, sessions, {}, async (load, server) => {
      const before = sampleAll([server.pid]);
      const connected = await load.connect({ concurrency: options.concurrency });
      return idleFigures(before, connected, () => sampleAll([server.pid]));
    });
    rows.push(idleRow(reference, 1, idle[reference]));
  }

  log('parley:');
  const cluster = await startCluster({ nodes: options.nodes, store, redisUrl: env.redisUrl, postgresUrl: env.postgresUrl, basePort: options.port, env: { WS_MAX_CONNECTIONS: String(perNode + 100) }, ...(options.profile ? { profileDir: options.profile } : {}) });
  const pids = () => cluster.nodes.map((node) => node.pid);
  try {
    await createUsers(cluster.nodes[0]!.url, options.sessions);
    const specs: SessionSpec[] = Array.from({ length: options.sessions }, (_, i) => ({ protocol: 'parley', userId: userId(i), url: wsUrl(cluster.nodes[i % options.nodes]!.url), token: mintToken(userId(i)), conversationId: '-' }));
    const load = LoadGenerator.create(specs);
    try {
      const before = sampleAll(pids());
      const connected = await load.connect({ concurrency: options.concurrency, reconnect: options.storm });
      idle.parley = await idleFigures(before, connected, () => sampleAll(pids()));
      rows.push(idleRow('parley', options.nodes, idle.parley));
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
        const storm = `${totals.ready}/${connected.ready} sessions back and caught up (\`sync\` answered) ${round(backSec, 1)} s after the kill (servers up after ${round((up - restarted) / 1000, 1)} s; ${totals.reconnects} reconnect attempts; close codes seen: ${closeCodes(totals.closes)})`;
        log(`  storm: ${storm}`);
        notes.push(`Reconnect storm: ${storm}.`);
      }
    } finally {
      await load.close();
    }
  } finally {
    await cluster.close();
  }
  const parley = idle.parley;
  for (const reference of ['relay', 'socketio'] as const) {
    const other = idle[reference];
    if (parley && other) notes.unshift(`Parley ÷ ${CONTENDER_NAMES[reference]}, same run: ${round(parley.cpuMsPerConnect / other.cpuMsPerConnect, 2)}× the server CPU per connect, ${round(parley.rssKbPerSession / other.rssKbPerSession, 2)}× the RSS per idle session.`);
  }
  if (rows.length > 1) notes.push('Each server held the same number of idle sessions from the same load-generator processes, one server after the other; Parley\'s sessions are authenticated (token verified, device session, memberships read, subscribed), Socket.IO\'s verify the same token and join a room, the relay\'s only open.');
  publish({ command: 'connections', scenario: options.nodes > 1 ? 'connections-multi-node' : 'connections', options, rows, notes });
}

/** `1006 ×3, 4008 ×12`: why the sockets of a run were closed, most frequent first. */
function closeCodes(closes: Record<string, number>): string {
  const entries = Object.entries(closes).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([code, count]) => `${code} ×${count}`).join(', ');
}

interface IdleFigures {
  ready: number;
  connectMs: number;
  after: ProcSample;
  rssKbPerSession: number;
  cpuSecondsConnecting: number;
  cpuMsPerConnect: number;
}

/**
 * What holding the sessions costs the server: RSS and CPU from just before the first
 * connect to a moment after the last one (so settling work counts too).
 */
async function idleFigures(before: ProcSample, connected: { ms: number; ready: number }, sample: () => ProcSample): Promise<IdleFigures> {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = sample();
  const ready = Math.max(1, connected.ready);
  const cpuSecondsConnecting = after.cpuSeconds - before.cpuSeconds;
  const figures = {
    ready: connected.ready,
    connectMs: connected.ms,
    after,
    rssKbPerSession: (after.rssBytes - before.rssBytes) / ready / 1024,
    cpuSecondsConnecting,
    cpuMsPerConnect: (cpuSecondsConnecting * 1000) / ready,
  };
  log(`  ${connected.ready} ready in ${round(connected.ms / 1000)} s; ${round(figures.rssKbPerSession, 1)} KB RSS per session, ${round(figures.cpuMsPerConnect, 3)} ms CPU per connect`);
  return figures;
}

function idleRow(server: Contender, nodes: number, figures: IdleFigures): Record<string, string | number> {
  return {
    server: CONTENDER_NAMES[server],
    sessions: figures.ready,
    nodes,
    'connect time s': round(figures.connectMs / 1000, 1),
    'connects/s': Math.round(figures.ready / (figures.connectMs / 1000)),
    'server RSS MB': round(figures.after.rssBytes / 2 ** 20, 0),
    'RSS per session KB': round(figures.rssKbPerSession, 1),
    'server CPU s (connect)': round(figures.cpuSecondsConnecting, 1),
    'server CPU ms per connect': round(figures.cpuMsPerConnect, 3),
  };
}
