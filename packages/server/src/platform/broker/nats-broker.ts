import { Events, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../logger.ts';
import type { Broker } from './broker.ts';
import { closeNats, connectNats } from './nats-connection.ts';
import { natsSubject, subjectPrefixOf } from './nats-subjects.ts';

/**
 * Core NATS publish/subscribe: one connection, one subscription per channel. NATS keeps
 * publish order per connection, and echoes a connection's own messages to it, so a node
 * hears itself like any other node.
 *
 * Gaps: core NATS drops what was published while a subscriber was away. The client
 * reconnects by itself and sends its subscriptions again as part of the reconnect; once
 * the server confirmed them (a flush round trip) the broker reports a gap, so sessions
 * resync from the logs at a moment when live delivery already works again. Every
 * reconnect is a gap: core NATS has no sequence to tell whether anything was missed, so
 * this errs on the side of a resync. `NATS_JETSTREAM=true` chooses the JetStream broker
 * instead (`nats-jetstream-broker.ts`), whose stream sequence tells, and which reports a gap
 * only when something was really lost.
 *
 * While NATS is away this node still hears itself: a publish is handed to the local
 * handler directly and rejected (other nodes catch up from the logs after their own gap
 * or at the next seq they see). Nothing is sent to NATS while away, so nothing handed over
 * locally comes back twice after the reconnect.
 */
export async function createNatsBroker(url: string, logger: Logger, prefix = 'parley'): Promise<Broker> {
  const subjectPrefix = subjectPrefixOf(prefix);
  const nc: NatsConnection = await connectNats(url, subjectPrefix);
  let handler: (channel: string, message: string) => void = () => {};
  const gapHandlers: Array<() => void> = [];
  const subscriptions = new Map<string, Subscription>();
  let link: 'listening' | 'away' = 'listening';
  let closed = false;
  /** One flush (a PING/PONG round trip) shared by everything that asked for one in the same turn. */
  let pendingFlush: Promise<void> | null = null;
  const flush = () => {
    pendingFlush ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      pendingFlush = null;
      return nc.flush();
    });
    return pendingFlush;
  };

  const dispatch = (channel: string, message: string) => {
    if (closed || !subscriptions.has(channel)) return;
    try {
      handler(channel, message);
    } catch (error) {
      logger.error({ err: error, channel }, 'broker message handler failed');
    }
  };
  const loopBack = (channel: string, message: string) => {
    if (subscriptions.has(channel)) queueMicrotask(() => dispatch(channel, message));
  };

  void (async () => {
    for await (const status of nc.status()) {
      if (closed) return;
      if (status.type === Events.Disconnect) {
        if (link !== 'away') logger.warn('nats broker lost its connection; until it is back, this node delivers its own messages locally');
        link = 'away';
      } else if (status.type === Events.Reconnect) {
        try {
          // The client resent every subscription on reconnecting; the flush confirms the server has them.
          await nc.flush();
        } catch (error) {
          logger.warn({ err: error instanceof Error ? error.message : error }, 'nats broker could not confirm its subscriptions yet');
          continue;
        }
        if (closed) return;
        link = 'listening';
        logger.warn({ channels: subscriptions.size }, 'nats broker reconnected; sessions will resync');
        for (const gap of gapHandlers) gap();
      }
    }
  })().catch((error: unknown) => logger.warn({ err: error }, 'nats broker status watch ended'));

  const subscribeOne = (channel: string) => {
    if (subscriptions.has(channel)) return;
    subscriptions.set(channel, nc.subscribe(natsSubject(subjectPrefix, channel), {
      callback: (error, msg) => {
        if (error) logger.warn({ err: error.message, channel }, 'nats subscription error');
        else dispatch(channel, msg.string());
      },
    }));
  };

  return {
    async publish(channel, message) {
      if (closed) throw new Error('broker closed');
      if (link === 'away' || nc.isClosed()) {
        loopBack(channel, message);
        throw new Error('nats is unavailable: published to this node only');
      }
      try {
        nc.publish(natsSubject(subjectPrefix, channel), message);
      } catch (error) {
        // Refused before it was sent (too large, connection closing): nobody heard it.
        loopBack(channel, message);
        throw error;
      }
      await flush();
    },
    async subscribe(channels) {
      if (closed) throw new Error('broker closed');
      if (channels.length === 0) return;
      for (const channel of channels) subscribeOne(channel);
      // Away: the client sends them on reconnecting, and the gap that follows makes sessions read what they missed.
      if (link === 'listening') await flush();
    },
    async unsubscribe(channels) {
      if (closed || channels.length === 0) return;
      for (const channel of channels) {
        subscriptions.get(channel)?.unsubscribe();
        subscriptions.delete(channel);
      }
      if (link === 'listening') await flush().catch(() => {});
    },
    onMessage(h) {
      handler = h;
    },
    onGap(h) {
      gapHandlers.push(h);
    },
    state() {
      return link === 'listening' && !nc.isClosed() ? 'connected' : 'unavailable';
    },
    async close() {
      if (closed) return;
      closed = true;
      subscriptions.clear();
      await closeNats(nc);
    },
  };
}
