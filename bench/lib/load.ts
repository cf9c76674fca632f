import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.ts';
import type { SessionSpec, WorkerCommand, WorkerReply } from './worker-protocol.ts';

const WORKER_MAIN = fileURLToPath(new URL('../loadgen-worker.ts', import.meta.url));

/** Sockets per load-generator process: well under the 20,000 open files each may hold. */
export const SOCKETS_PER_WORKER = 9_000;

type Stats = Extract<WorkerReply, { type: 'stats' }>;

/** A stats reply summed over every load generator, latencies merged. */
export type LoadTotals = Omit<Stats, 'type' | 'latency'> & { latency: Histogram };

class Worker {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, Array<(reply: WorkerReply) => void>>();
  readonly index: number;

  constructor(index: number) {
    this.index = index;
    this.child = fork(WORKER_MAIN, [], { execArgv: ['--conditions=development'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: WorkerReply) => this.waiting.get(reply.type)?.shift()?.(reply));
  }

  ask<T extends WorkerReply['type']>(command: WorkerCommand, answer: T): Promise<Extract<WorkerReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`load generator ${this.index} exited`));
      this.child.once('exit', onExit);
      const queue = this.waiting.get(answer) ?? [];
      queue.push((reply) => {
        this.child.off('exit', onExit);
        resolve(reply as Extract<WorkerReply, { type: T }>);
      });
      this.waiting.set(answer, queue);
      this.child.send(command);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'close' } satisfies WorkerCommand);
      setTimeout(() => this.child.kill('SIGKILL'), 3_000).unref();
    });
  }
}

/**
 * Sessions spread over load-generator processes, each with its own loopback source
 * address (127.0.0.2, .3, …) so no one address runs out of ephemeral ports.
 * Session i lives in worker ⌊i / perWorker⌋ at local index i mod perWorker.
 */
export class LoadGenerator {
  private readonly workers: Worker[] = [];
  private readonly perWorker: number;
  private readonly specs: SessionSpec[];

  private constructor(specs: SessionSpec[], perWorker: number) {
    this.specs = specs;
    this.perWorker = perWorker;
    const count = Math.max(1, Math.ceil(specs.length / perWorker));
    for (let i = 0; i < count; i++) this.workers.push(new Worker(i));
  }

  static create(specs: SessionSpec[], options: { perWorker?: number } = {}): LoadGenerator {
    return new LoadGenerator(specs, options.perWorker ?? SOCKETS_PER_WORKER);
  }

  get sessions(): number {
    return this.specs.length;
  }

  /** Opens every session; resolves when each is ready (or failed), with the time it took. */
  async connect(options: { concurrency?: number; reconnect?: boolean } = {}): Promise<{ ms: number; ready: number }> {
    const started = performance.now();
    const results = await Promise.all(
      this.workers.map((worker, i) =>
        worker.ask(
          {
            type: 'connect',
            sessions: this.specs.slice(i * this.perWorker, (i + 1) * this.perWorker),
            localAddress: `127.0.0.${2 + (i % 250)}`,
            concurrency: options.concurrency ?? 100,
            reconnect: options.reconnect ?? false,
          },
          'connected',
        ),
      ),
    );
    return { ms: performance.now() - started, ready: results.reduce((sum, result) => sum + result.ready, 0) };
  }

  /** Sends `ratePerSecond` messages per second in all, round robin over `senders` (global session indexes). */
  async send(senders: number[], ratePerSecond: number, durationMs: number): Promise<void> {
    const byWorker = new Map<number, number[]>();
    for (const index of senders) {
      const worker = Math.floor(index / this.perWorker);
      byWorker.set(worker, [...(byWorker.get(worker) ?? []), index % this.perWorker]);
    }
    await Promise.all(
      [...byWorker].map(([worker, local]) =>
        this.workers[worker]!.ask({ type: 'send', senders: local, ratePerSecond: (ratePerSecond * local.length) / senders.length, durationMs }, 'sent'),
      ),
    );
  }

  async stats(reset = false): Promise<LoadTotals> {
    const replies: Stats[] = await Promise.all(this.workers.map((worker) => worker.ask({ type: 'stats', reset }, 'stats')));
    const totals: LoadTotals = { latency: new Histogram(), delivered: 0, frames: 0, acked: 0, sent: 0, sendErrors: 0, ready: 0, sessions: 0, reconnects: 0, lastReadyAt: 0, closes: {} };
    for (const reply of replies) {
      totals.latency.merge(reply.latency);
      totals.delivered += reply.delivered;
      totals.frames += reply.frames;
      totals.acked += reply.acked;
      totals.sent += reply.sent;
      totals.sendErrors += reply.sendErrors;
      totals.ready += reply.ready;
      totals.sessions += reply.sessions;
      totals.reconnects += reply.reconnects;
      totals.lastReadyAt = Math.max(totals.lastReadyAt, reply.lastReadyAt);
      for (const [code, count] of Object.entries(reply.closes)) totals.closes[code] = (totals.closes[code] ?? 0) + count;
    }
    return totals;
  }

  /** Waits (bounded) until `expected` deliveries have arrived since the last reset. */
  async settle(expected: number, timeoutMs: number): Promise<LoadTotals> {
    const deadline = performance.now() + timeoutMs;
    let totals = await this.stats();
    while (totals.delivered < expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      totals = await this.stats();
    }
    return totals;
  }

  close(): Promise<void[]> {
    return Promise.all(this.workers.map((worker) => worker.close()));
  }
}
