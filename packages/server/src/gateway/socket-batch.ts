import type { Writable } from 'node:stream';

/**
 * Frames written to one socket in the same turn of the event loop leave it in one system
 * call.
 *
 * A send's ack and its own event reach the sender's socket in the same turn (both follow
 * the commit), and so do all the events of one group commit or of one read from the
 * broker. Written one by one, each was a `write` of its own, and on loopback the kernel's
 * work per write (most of it the receiving end's TCP processing) was most of what a
 * delivery cost the node. A socket is corked at its first frame of a turn and uncorked,
 * with everything gathered, once the turn's callbacks and promise jobs have run
 * (`process.nextTick` runs after them): no frame waits past the turn it was written in, and
 * frames keep the order they were written in, `ws`'s own (pings, the close frame) included.
 */
export class SocketBatch {
  private held: Writable[] = [];

  private readonly release = (): void => {
    const held = this.held;
    this.held = [];
    for (const socket of held) {
      try {
        socket.uncork();
      } catch {
        // Not one that failed may keep the others corked: their frames would never leave. Its peer reconnects and resumes.
        socket.destroy();
      }
    }
  };

  /**
   * Call before writing to the socket. A socket corked already (by this batch this turn, or
   * by whoever is writing several frames and uncorks them itself) is left as it is.
   */
  hold(socket: Writable): void {
    if (socket.writableCorked > 0) return;
    socket.cork();
    if (this.held.push(socket) === 1) process.nextTick(this.release);
  }
}
