/**
 * A latency histogram that merges across processes: log buckets of ~2 % width over
 * microseconds, so percentiles are within 2 % whatever the range, and a worker's
 * histogram travels over IPC as a plain array of counts.
 */
const PER_E = 50; // buckets per factor e: exp(1/50) ≈ 1.02
const BUCKETS = Math.ceil(Math.log(1 + 600e6) * PER_E); // up to 10 minutes

export class Histogram {
  readonly counts: number[];
  total = 0;
  max = 0;

  constructor(counts?: number[]) {
    this.counts = counts ? [...counts] : new Array<number>(BUCKETS).fill(0);
    for (const count of this.counts) this.total += count;
  }

  recordMs(ms: number): void {
    const us = Math.max(0, ms * 1000);
    const index = Math.min(BUCKETS - 1, Math.floor(Math.log(1 + us) * PER_E));
    this.counts[index]!++;
    this.total++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { counts: number[]; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) {
      const count = other.counts[i] ?? 0;
      this.counts[i]! += count;
      this.total += count;
    }
    if (other.max > this.max) this.max = other.max;
  }

  /** The value (ms) below which `p` (0–100) percent of the samples fall; 0 when empty. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, (Math.exp((i + 1) / PER_E) - 1) / 1000);
    }
    return this.max;
  }

  summary(): { count: number; p50: number; p95: number; p99: number; max: number } {
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return { count: this.total, p50: round(this.percentile(50)), p95: round(this.percentile(95)), p99: round(this.percentile(99)), max: round(this.max) };
  }

  toJSON(): { counts: number[]; max: number } {
    return { counts: this.counts, max: this.max };
  }
}
