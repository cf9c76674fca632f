import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Samples the event-loop delay once per interval (p99 of the interval, then reset). A
 * node whose loop lagged above the threshold in `sustain` samples in a row is
 * overloaded: it refuses new connections (existing ones keep working) until a sample
 * comes in below it again. One long stall (a big synchronous write, a GC) is not
 * overload; a loop that stays behind is.
 */
export function createLoadMonitor(options: { thresholdMs: number; intervalMs?: number; sustain?: number }) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const sustain = options.sustain ?? 2;
  let lagMs = 0;
  let above = 0;
  const timer = setInterval(() => {
    lagMs = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
    above = options.thresholdMs > 0 && lagMs > options.thresholdMs ? above + 1 : 0;
    histogram.reset();
  }, options.intervalMs ?? 1_000);
  timer.unref();

  return {
    /** The last sample, in ms. */
    lagMs: () => lagMs,
    overloaded: () => above >= sustain,
    stop(): void {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

export type LoadMonitor = ReturnType<typeof createLoadMonitor>;
