import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';

/** An upgrade request that found every pending-connect slot taken. */
export interface WaitingUpgrade {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  url: URL;
  /** performance.now() when it arrived. */
  since: number;
}

export interface ConnectQueueOptions {
  /** At most this many wait; the next one is refused at once (0: none waits). */
  max: number;
  /** One that waited this long is refused instead of admitted. */
  maxWaitMs: number;
  /** Answers a request that will not be taken on (HTTP 503 with `Retry-After`). */
  refuse(waiting: WaitingUpgrade): void;
}

/** How often waiting requests are checked for having waited too long, while any wait. */
const EXPIRY_CHECK_MS = 250;

/**
 * The node's waiting room for WebSocket upgrades in a connect storm, oldest first. A refusal
 * sends the client away for seconds (`Retry-After`, the SDK's backoff) while the node may have
 * a slot free within milliseconds, so a storm refused outright leaves the node idle between
 * waves; a request held here costs only its TCP socket until a slot frees, and is then taken
 * on in arrival order. Bounded in count and in waiting time: past either, the refusal.
 */
export class ConnectQueue {
  readonly #options: ConnectQueueOptions;
  #waiting: WaitingUpgrade[] = [];
  /** Index of the oldest entry still in `#waiting` (entries before it were taken). */
  #head = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ConnectQueueOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#waiting.length - this.#head;
  }

  /** Holds the request; false when the room is full (the caller refuses it). */
  offer(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (this.size >= this.#options.max) return false;
    this.#waiting.push({ request, socket, head, url, since: performance.now() });
    this.#timer ??= setInterval(() => this.expire(), EXPIRY_CHECK_MS).unref();
    return true;
  }

  /** The oldest request whose client is still there and has not waited too long; those that have are refused on the way. */
  next(): WaitingUpgrade | undefined {
    const oldest = performance.now() - this.#options.maxWaitMs;
    while (this.size > 0) {
      const waiting = this.#take();
      if (waiting.socket.destroyed) continue;
      if (waiting.since < oldest) {
        this.#options.refuse(waiting);
        continue;
      }
      return waiting;
    }
    return undefined;
  }

  /** Refuses every request that waited too long (the oldest are at the front), so none waits forever when no slot frees. */
  expire(): void {
    const oldest = performance.now() - this.#options.maxWaitMs;
    while (this.size > 0) {
      const waiting = this.#waiting[this.#head]!;
      if (!waiting.socket.destroyed && waiting.since >= oldest) break;
      this.#take();
      if (!waiting.socket.destroyed) this.#options.refuse(waiting);
    }
  }

  /** Refuses everything still waiting (the node is draining). */
  refuseAll(): void {
    while (this.size > 0) {
      const waiting = this.#take();
      if (!waiting.socket.destroyed) this.#options.refuse(waiting);
    }
  }

  #take(): WaitingUpgrade {
    const waiting = this.#waiting[this.#head]!;
    this.#waiting[this.#head++] = undefined as never;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      // Taken entries are dropped in bulk, not one `shift` each.
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return waiting;
  }
}
