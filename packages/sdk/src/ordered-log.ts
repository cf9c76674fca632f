/**
 * The client side of a gap-free log: events are applied strictly in seq order, each
 * exactly once. Duplicates (seq already applied) are dropped; early events wait in a
 * bounded buffer until the ones before them arrive (live or fetched), and `hasGap`
 * tells the caller to fetch what is missing.
 */
export class OrderedLog<E extends { seq: number }> {
  /** Highest seq applied; everything up to it has been applied, nothing after it. */
  seq: number;
  private buffer = new Map<number, E>();
  private readonly maxBuffered: number;

  constructor(seq: number, maxBuffered = 1_000) {
    this.seq = seq;
    this.maxBuffered = maxBuffered;
  }

  /** Offers one event; returns the events that are now next in line, in order (possibly none). */
  offer(event: E): E[] {
    if (event.seq <= this.seq) return [];
    if (event.seq !== this.seq + 1) {
      // Past the bound, forget the early ones: they are in the server's log and the
      // catch-up that the gap triggers will bring them again.
      if (this.buffer.size >= this.maxBuffered) this.buffer.clear();
      this.buffer.set(event.seq, event);
      return [];
    }
    const ready = [event];
    this.seq = event.seq;
    let next: E | undefined;
    while ((next = this.buffer.get(this.seq + 1))) {
      this.buffer.delete(next.seq);
      ready.push(next);
      this.seq = next.seq;
    }
    return ready;
  }

  /**
   * Moves on to `seq` without the events up to it (the server said they need not be applied
   * one by one); returns the buffered events that are now next in line. Only for a log that
   * has applied everything before the skipped run: the caller checks.
   */
  skipTo(seq: number): E[] {
    if (seq <= this.seq) return [];
    for (const key of this.buffer.keys()) if (key <= seq) this.buffer.delete(key);
    this.seq = seq;
    const ready: E[] = [];
    let next: E | undefined;
    while ((next = this.buffer.get(this.seq + 1))) {
      this.buffer.delete(next.seq);
      ready.push(next);
      this.seq = next.seq;
    }
    return ready;
  }

  /** Something arrived early and its predecessors are missing. */
  get hasGap(): boolean {
    return this.buffer.size > 0;
  }

  /** Continue from `seq` (after a reset), keeping buffered events that are still ahead. */
  resetTo(seq: number): E[] {
    this.seq = seq;
    const ahead = [...this.buffer.values()].filter((event) => event.seq > seq).sort((a, b) => a.seq - b.seq);
    this.buffer = new Map();
    return ahead.flatMap((event) => this.offer(event));
  }
}
