import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Broker } from './broker.ts';
import { pingIntervalMs, watchLiveness } from './redis-liveness.ts';

/** How long close() waits for QUIT before cutting the connection (Redis may be down). */
const QUIT_GRACE_MS = 1_000;
/** Idle time before TCP keep-alive probes start (the liveness PINGs keep the connections busy anyway). */
const KEEP_ALIVE_MS = 10_000;
/** ioredis' refusal of a command while its connection is not ready (no offline queue): nothing was sent. */
const NOT_SENT = "Stream isn't writeable and enableOfflineQueue options is false";

export interface RedisBrokerOptions {
  /**
   * A connection that reads nothing for this long while it owes an answer (a publish, a
   * subscribe, the liveness PING) is reset and reopened: a silent partition is noticed
   * within about this plus half of it, and every publish is answered within that.
   */
  silenceMs?: number;
}

/** Redis client names may not contain spaces or control characters. */
const clientName = (role: string, prefix: string) => `parley-broker-${role}:${prefix}`.replace(/[^\x21-\x7e]/g, '_');

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Settles when every promise did, or after `ms`, whichever comes first; leaves no timer behind. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Redis pub/sub: one connection publishes, one subscribes. Redis drops what was
 * published while the subscriber was away, so after a reconnect the broker subscribes
 * every channel it holds again and only *then* reports a gap: sessions told to resync
 * read the logs at a moment when live delivery already works again, so nothing falls
 * between the two. (ioredis' own auto-resubscribe is off because it gives no signal
 * when the re-subscription is confirmed.)
 *
 * While Redis is away this node still hears itself: a publish made while the subscriber
 * connection is down, or one that could not be sent (the publisher is down), is handed
 * to the local handler directly, so two sockets on one node keep talking through an
 * outage (other nodes catch up from the logs after the gap). Nothing is delivered twice:
 * a publish handed over locally while the subscriber was down has settled at Redis before
 * the subscriber listens again (Redis had nobody here to deliver it to), and while the
 * resubscription is being confirmed publishes go through Redis only (what this node
 * misses in that moment it reads from the logs when the gap report that follows makes
 * every session resync).
 *
 * A silent partition (packets dropped, nothing refused) would leave both connections
 * waiting for minutes, until TCP gives up; so each is watched (`redis-liveness.ts`): one
 * that reads nothing for `silenceMs` while it owes an answer is reset, and from then on it
 * is an outage like any other. A publish that had been written to a connection when it
 * was reset (or dropped) may or may not have reached Redis: it fails, and is *not* handed
 * over locally while the subscriber listens (Redis may have delivered it here already);
 * if it did not arrive, sessions find the event in the logs, like other nodes do, and a
 * silent partition takes the subscriber too, whose gap makes every session here resync.
 * The reset discards the socket's unsent bytes, and in-flight publishes are never resent
 * on a new connection, so a publish that failed cannot reach Redis later — which is what
 * lets a resubscription count a looped-back publish that failed as settled.
 *
 * Connections are named `parley-broker-pub:<prefix>` and `parley-broker-sub:<prefix>`
 * (see CLIENT LIST).
 */
export async function createRedisBroker(url: string, logger: Logger, prefix = 'parley:', brokerOptions: RedisBrokerOptions = {}): Promise<Broker> {
  const silenceMs = brokerOptions.silenceMs ?? 2_000;
  /**
   * How long a resubscription after an outage waits for the publishes this node looped
   * back meanwhile to settle at Redis: normally one round trip; at most the liveness bound
   * (a publish on a connection that went silent fails when it is reset). Past it the
   * resubscription goes ahead (at worst such a frame reaches a session twice, and clients
   * drop repeats by seq) rather than leaving the node deaf.
   */
  const settleLoopedBackMs = Math.max(5_000, 2 * (silenceMs + pingIntervalMs(silenceMs)));
  const options = {
    lazyConnect: true,
    autoResubscribe: false,
    keepAlive: KEEP_ALIVE_MS,
    // A TCP connect that gets no answer (SYN dropped) is given up like a silent connection.
    connectTimeout: Math.max(silenceMs, 1_000),
  } as const;
  // No offline queue for publishing: while Redis is away a publish fails at once instead of
  // piling up in memory (bounded everything); clients find those events in the logs. A
  // publish in flight when the connection drops fails at once (no retry) and is never
  // resent on the next connection: the caller was told it failed.
  const publisher = new Redis(url, {
    ...options, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true, enableOfflineQueue: false, connectionName: clientName('pub', prefix),
  });
  const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null, enableAutoPipelining: false, connectionName: clientName('sub', prefix) });
  let handler: (channel: string, message: string) => void = () => {};
  const gapHandlers: Array<() => void> = [];
  /** What this node wants to hear: the source of truth for re-subscribing after a reconnect. */
  const wanted = new Set<string>();
  /**
   * The subscriber side: `listening` while Redis delivers every wanted channel here, `away`
   * from a dropped connection until a new one is ready, `resubscribing` until that one
   * confirmed every wanted channel.
   */
  let link: 'listening' | 'away' | 'resubscribing' = 'listening';
  /** Bumped on every drop and reconnect: a resubscription that outlived its connection stops. */
  let epoch = 0;
  /** Resolved when the subscriber connection drops: calls waiting on it stop waiting (the resubscription covers them). */
  let dropped = deferred();
  /** Publishes sent to Redis while the subscriber was away and also handed over locally. */
  const loopedBack = new Set<Promise<unknown>>();
  let connectedOnce = false;
  let closed = false;

  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error: Error) => logger.warn({ err: error.message, connection: name }, 'redis broker error'));
  }
  const stopWatching = watchLiveness([{ client: publisher, name: 'publisher' }, { client: subscriber, name: 'subscriber' }], {
    silenceMs,
    onSilent: (connection, silentMs) => logger.warn({ connection, silentMs }, 'redis broker connection silent; resetting it'),
  });

  /** Only channels still wanted: a subscription resent by ioredis after an unsubscribe, or one not yet undone, delivers nothing. */
  const dispatch = (channel: string, message: string) => {
    if (closed || !wanted.has(channel)) return;
    try {
      handler(channel.slice(prefix.length), message);
    } catch (error) {
      // Thrown inside ioredis' socket handler it would take the process down.
      logger.error({ err: error, channel }, 'broker message handler failed');
    }
  };
  /** This node's own subscribers get the message without Redis; asynchronously, like from the network. */
  const loopBack = (channel: string, message: string) => {
    if (wanted.has(channel)) queueMicrotask(() => dispatch(channel, message));
  };

  subscriber.on('close', () => {
    if (closed || !connectedOnce) return;
    epoch++;
    if (link !== 'away') logger.warn('redis broker lost its subscriber connection; until it is back, this node delivers its own messages locally');
    link = 'away';
    dropped.resolve();
  });
  subscriber.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    void resubscribe(++epoch);
  });
  subscriber.on('message', dispatch);

  async function resubscribe(mine: number): Promise<void> {
    const current = () => epoch === mine && !closed;
    const settleBy = Date.now() + settleLoopedBackMs;
    while (loopedBack.size > 0 && Date.now() < settleBy) {
      await settledWithin([...loopedBack], settleBy - Date.now());
      if (!current()) return;
    }
    link = 'resubscribing';
    const sent = new Set<string>();
    try {
      // Channels wanted while this runs are subscribed too before the gap is reported.
      for (let missing = [...wanted]; missing.length > 0; missing = [...wanted].filter((channel) => !sent.has(channel))) {
        for (const channel of missing) sent.add(channel);
        await subscriber.subscribe(...missing);
        if (!current()) return;
      }
    } catch (error) {
      // The connection dropped again: the next 'ready' resubscribes and reports the gap.
      logger.warn({ err: error instanceof Error ? error.message : error }, 'redis broker could not resubscribe yet');
      return;
    }
    const unwanted = [...sent].filter((channel) => !wanted.has(channel));
    if (unwanted.length > 0) subscriber.unsubscribe(...unwanted).catch(() => {});
    link = 'listening';
    dropped = deferred();
    logger.warn({ channels: sent.size }, 'redis broker reconnected and resubscribed; sessions will resync');
    for (const gap of gapHandlers) gap();
  }

  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    stopWatching();
    // ioredis keeps retrying a failed first connect in the background: stop it.
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }

  async function quit(client: Redis): Promise<void> {
    if (client.status === 'end') return;
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_GRACE_MS)))]);
    clearTimeout(timer);
    // Still open when QUIT got no answer in time: cut it.
    if ((client.status as string) !== 'end') client.disconnect();
  }

  /** Sends a subscriber command unless the connection drops first (then the resubscription takes over). */
  const whileConnected = (command: Promise<unknown>) => {
    command.catch(() => {});
    return Promise.race([command, dropped.promise]).then(() => {});
  };

  return {
    async publish(channel, message) {
      if (closed) throw new Error('broker closed');
      const key = prefix + channel;
      if (link === 'away') {
        loopBack(key, message);
        const sent = publisher.publish(key, message);
        loopedBack.add(sent);
        const settled = () => loopedBack.delete(sent);
        sent.then(settled, settled);
        await sent;
        return;
      }
      if (publisher.status !== 'ready') {
        // Not connected (no offline queue): nobody will hear it, so this node's subscribers get it here.
        loopBack(key, message);
        throw new Error(`redis broker publisher is ${publisher.status}`);
      }
      try {
        await publisher.publish(key, message);
      } catch (error) {
        // Refused without being sent: as above. Failed after it was sent (the connection was
        // reset or dropped): Redis may have delivered it here already, so not handed over.
        if (error instanceof Error && error.message === NOT_SENT) loopBack(key, message);
        throw error;
      }
    },
    async subscribe(channels) {
      if (closed) throw new Error('broker closed');
      if (channels.length === 0) return;
      const keys = channels.map((channel) => prefix + channel);
      for (const key of keys) wanted.add(key);
      // Away: the resubscription takes them along, and the gap it reports makes sessions read what they missed.
      if (link !== 'listening') return;
      await whileConnected(subscriber.subscribe(...keys));
    },
    async unsubscribe(channels) {
      if (closed || channels.length === 0) return;
      const keys = channels.map((channel) => prefix + channel);
      for (const key of keys) wanted.delete(key);
      // Away: the next connection subscribes only what is wanted.
      if (link !== 'listening') return;
      await whileConnected(subscriber.unsubscribe(...keys));
    },
    onMessage(h) {
      handler = h;
    },
    onGap(h) {
      gapHandlers.push(h);
    },
    state() {
      return link === 'listening' && publisher.status === 'ready' ? 'connected' : 'unavailable';
    },
    async close() {
      closed = true;
      stopWatching();
      wanted.clear();
      dropped.resolve();
      await Promise.all([quit(publisher), quit(subscriber)]);
    },
  };
}
