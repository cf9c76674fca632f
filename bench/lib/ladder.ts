import type { LoadGenerator } from './load.ts';
import { sampleAll } from './proc.ts';
import { round } from './report.ts';

export interface StepResult {
  rate: number;
  sent: number;
  acked: number;
  deliveriesPerSec: number;
  /** Deliveries per CPU-second of the server processes. */
  perCpuSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  lost: number;
  sustainable: boolean;
}

export interface LadderOptions {
  rates: number[];
  stepMs: number;
  /** How long a step may take to deliver what it sent after the sender stopped. */
  settleMs: number;
  senders: number[];
  /** Deliveries each message should produce (the sessions of its conversation). */
  fanout: number;
  serverPids: () => number[];
}

/**
 * Rate steps: send at each rate for a while, then wait (bounded) for every delivery.
 * "Sustainable" (the issue's word): p99 ≤ 1 s, nothing lost, and the sender kept its pace
 * (every send acknowledged). The ladder stops after the first unsustainable step.
 */
export async function runLadder(load: LoadGenerator, options: LadderOptions, log: (line: string) => void): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const quiet = await untilQuiet(options.serverPids);
  log(`  servers quiet after ${Math.round(quiet.ms)} ms${quiet.quiet ? '' : ' (not quiet within the bound: the first step shares the server with what the connects left to do)'}`);
  for (const rate of options.rates) {
    await load.stats(true);
    const cpuBefore = sampleAll(options.serverPids()).cpuSeconds;
    const started = performance.now();
    await load.send(options.senders, rate, options.stepMs);
    const sending = await load.stats();
    const totals = await load.settle(sending.sent * options.fanout, options.settleMs);
    const elapsedSec = (performance.now() - started) / 1000;
    const cpu = sampleAll(options.serverPids()).cpuSeconds - cpuBefore;
    const latency = totals.latency.summary();
    const lost = totals.sent * options.fanout - totals.delivered;
    const result: StepResult = {
      rate,
      sent: totals.sent,
      acked: totals.acked,
      deliveriesPerSec: Math.round(totals.delivered / Math.max(elapsedSec, options.stepMs / 1000)),
      perCpuSecond: cpu > 0 ? Math.round(totals.delivered / cpu) : 0,
      p50: latency.p50,
      p95: latency.p95,
      p99: latency.p99,
      max: latency.max,
      lost,
      sustainable: latency.p99 <= 1000 && lost <= 0 && totals.acked >= totals.sent && totals.sendErrors === 0,
    };
    results.push(result);
    log(`  rate ${rate}/s: sent ${result.sent}, acked ${result.acked}, ${result.deliveriesPerSec} deliveries/s, ${result.perCpuSecond}/cpu-s, p50 ${result.p50} p99 ${result.p99} max ${result.max} ms, lost ${lost}${totals.sendErrors ? `, ${totals.sendErrors} errors` : ''}, cpu ${round(cpu, 2)} s → ${result.sustainable ? 'sustainable' : 'NOT sustainable'}`);
    if (!result.sustainable) break;
  }
  return results;
}

const QUIET_CPU = 0.1;
const QUIET_WINDOW_MS = 1000;
const QUIET_MAX_MS = 30_000;

/**
 * Waits until the servers use less than a tenth of a core over a second (at most 30 s), so
 * the first step measures sending, not the tail of what the connects set off (a server's
 * presence announcements, say); every server of a run gets the same wait.
 */
async function untilQuiet(serverPids: () => number[]): Promise<{ ms: number; quiet: boolean }> {
  const started = performance.now();
  while (performance.now() - started < QUIET_MAX_MS) {
    const before = sampleAll(serverPids()).cpuSeconds;
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    if (sampleAll(serverPids()).cpuSeconds - before < QUIET_CPU * (QUIET_WINDOW_MS / 1000)) return { ms: performance.now() - started, quiet: true };
  }
  return { ms: performance.now() - started, quiet: false };
}

/** The highest sustainable step, or null. */
export function bestSustainable(results: StepResult[]): StepResult | null {
  return results.filter((result) => result.sustainable).at(-1) ?? null;
}
