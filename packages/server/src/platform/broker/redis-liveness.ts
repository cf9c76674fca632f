import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

export interface WatchedConnection {
  readonly client: Redis;
  /** For the log line when it is reset. */
  readonly name: string;
}

export interface LivenessOptions {
  /** A connection that read nothing for this long while it owed an answer is reset. */
  silenceMs: number;
  /** Called just before a silent connection is reset. */
  onSilent(name: string, silentMs: number): void;
}

/** How often a live connection is asked for an answer; half the bound, so one lost PONG is not yet a verdict. */
export const pingIntervalMs = (silenceMs: number): number => Math.max(25, Math.min(1_000, Math.floor(silenceMs / 2)));

/**
 * Closes a socket with a reset: whatever is still in its send buffer is discarded, never
 * sent. A normal close (FIN) leaves it to the kernel, which would deliver it once a
 * partition heals — a publish the caller was told had failed would then arrive after all.
 * TLS sockets cannot be reset from here (their handle is not plain TCP): they are destroyed.
 */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

interface Watch extends WatchedConnection {
  stream: Socket | null;
  bytesRead: number;
  progressAt: number;
  pinging: boolean;
  suspect: boolean;
}

/**
 * Notices Redis connections that went silent — packets dropped by a firewall or a
 * partition, which TCP notices only when its retransmissions give up, minutes later. Each
 * ready connection has one PING on its way at all times (a new one every
 * `pingIntervalMs`), so a live connection always reads something within that interval;
 * one that read nothing for `silenceMs` while connecting or ready is reset, and ioredis
 * reconnects as after any drop (its commands in flight fail or are resent, per client).
 *
 * Progress is bytes read from the socket, not answers to the PING: a connection busy
 * delivering a backlog is alive even while its PONG waits behind it. A stalled event loop
 * fires timers before it reads input, so a verdict is taken only after one more turn of
 * the loop (`setImmediate` runs after the poll phase has read what arrived).
 *
 * One timer for all the connections, one PING per connection and interval: nothing per
 * command. Returns the function that stops watching.
 */
export function watchLiveness(connections: readonly WatchedConnection[], options: LivenessOptions): () => void {
  const watches: Watch[] = connections.map(({ client, name }) => ({ client, name, stream: null, bytesRead: 0, progressAt: 0, pinging: false, suspect: false }));

  const suspect = (watch: Watch, stream: Socket) => {
    if (watch.suspect) return;
    watch.suspect = true;
    setImmediate(() => {
      watch.suspect = false;
      if (watch.client.stream !== stream || stream.destroyed) return;
      const now = performance.now();
      if (stream.bytesRead !== watch.bytesRead) {
        watch.bytesRead = stream.bytesRead;
        watch.progressAt = now;
        return;
      }
      options.onSilent(watch.name, Math.round(now - watch.progressAt));
      resetSocket(stream);
    });
  };

  const tick = () => {
    const now = performance.now();
    for (const watch of watches) {
      const { client } = watch;
      const status = client.status;
      if (status !== 'ready' && status !== 'connect') {
        watch.stream = null;
        continue;
      }
      const stream = client.stream as Socket;
      if (stream !== watch.stream) {
        // A new connection: the clock starts now.
        watch.stream = stream;
        watch.bytesRead = stream.bytesRead;
        watch.progressAt = now;
        watch.pinging = false;
      } else if (stream.bytesRead !== watch.bytesRead) {
        watch.bytesRead = stream.bytesRead;
        watch.progressAt = now;
      } else if (now - watch.progressAt > options.silenceMs) {
        suspect(watch, stream);
        continue;
      }
      // While connecting, the handshake's own commands owe the answers.
      if (status === 'ready' && !watch.pinging) {
        watch.pinging = true;
        const done = () => {
          if (watch.stream === stream) watch.pinging = false;
        };
        client.ping().then(done, done);
      }
    }
  };

  const timer = setInterval(tick, pingIntervalMs(options.silenceMs));
  timer.unref();
  return () => clearInterval(timer);
}
