import { type Consumer, ConsumerEvents, type ConsumerMessages, Events, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from '../logger.ts';
import type { Broker } from './broker.ts';
import { closeNats, connectNats } from './nats-connection.ts';
import { ensureStream, followStream, type JetStreamRetention, streamConfig } from './nats-stream.ts';
import { natsChannel, natsSubject, subjectPrefixOf } from './nats-subjects.ts';

/** Messages one pull of the ordered consumer asks for; it asks for more at three quarters. */
const PULL_BATCH = 256;
/** How long one pull waits on the server; its idle heartbeats come at half that, and two missed ones make the consumer check itself. */
const PULL_EXPIRES_MS = 10_000;
/** After a failed look at the stream while connected, the next one comes this much later. */
const RECHECK_MS = 1_000;
/** What the ordered consumer reports when its stream may have been deleted, or deleted and made anew (see startConsumer). */
const STREAM_MAY_BE_NEW = new Set<string>([ConsumerEvents.StreamNotFound, ConsumerEvents.ConsumerDeleted, ConsumerEvents.ConsumerNotFound, ConsumerEvents.OrderedConsumerRecreated]);
/** A channel subscribed a moment ago whose starting point the stream has not told yet: nothing is delivered on it meanwhile. */
const PENDING = Number.POSITIVE_INFINITY;

interface Subscription {
  /** Stream sequences up to this one are not delivered on the channel: they were published before subscribe() was called. */
  since: number;
  /** Settles when `since` is known (subscribe() resolves then). */
  ready: Promise<void>;
}

/**
 * NATS JetStream: every publish is stored in one stream (`<prefix>-events`, subjects
 * `<prefix>.>`, created or updated at start, bounded by age, bytes and count), and each node
 * reads the whole stream with an ordered consumer, handing on the channels it has local
 * subscribers for and dropping the rest. (NATS 2.9 filters a consumer on one subject only;
 * following the thousands of conversation channels a node has would take a consumer each.
 * So every node receives every node's traffic: see docs/operations.md for what that costs.)
 *
 * Gaps: the stream sequence is the node's cursor. The ordered consumer recreates itself
 * after a reconnect (or a missed heartbeat) at the sequence after the last one it gave
 * here, so what was published while this node was away arrives afterwards, in order, and
 * no gap is reported. A gap is reported only when the stream can no longer supply the next
 * sequence: the consumer hands over a sequence past the cursor (the ones between aged out
 * or were pushed out by the limits), the stream's first sequence is past the cursor when a
 * reconnect checks it, or the stream was created anew (a `memory` stream after a NATS
 * restart: its sequence starts again, so the consumer starts at its end). Anything at or
 * below the cursor is dropped, so nothing reaches the handler twice.
 *
 * Subscribing asks the stream for its last sequence (one request shared by every
 * subscribe in the same turn) and delivers on the channel only what comes after it, which
 * is what a core NATS subscription would hear; while NATS is away the cursor is the start,
 * so the channel hears everything the stream brings once NATS is back.
 *
 * While NATS is away this node still hears itself as with core NATS: a publish is handed to
 * the local handler directly and rejected, and nothing is sent, so nothing comes back
 * twice.
 *
 * Publishing is a plain NATS publish on the channel's subject, resolved by a flush as with
 * core NATS; the stream stores whatever reaches its subjects. A JetStream publish would wait
 * for the stream's acknowledgement, which measured 4–7× slower for a burst and buys nothing
 * here: the stream discards its oldest rather than refusing, and a publish that failed
 * without an answer may still have been stored, so it could not be handed over locally
 * anyway.
 */
export async function createNatsJetStreamBroker(url: string, logger: Logger, prefix: string, retention: JetStreamRetention): Promise<Broker> {
  const subjectPrefix = subjectPrefixOf(prefix);
  const config = streamConfig(subjectPrefix, retention);
  const nc: NatsConnection = await connectNats(url, subjectPrefix);
  const js = nc.jetstream();
  let stream;
  let jsm;
  try {
    jsm = await nc.jetstreamManager();
    stream = await ensureStream(jsm, config);
  } catch (error) {
    await closeNats(nc);
    throw error;
  }
  const manager = jsm;

  let handler: (channel: string, message: string) => void = () => {};
  const gapHandlers: Array<() => void> = [];
  const subscriptions = new Map<string, Subscription>();
  /** `away` from a dropped connection until NATS is back; `resuming` until the stream has been checked for a gap. */
  let link: 'listening' | 'away' | 'resuming' = 'listening';
  /** Bumped on every drop: a check that outlived its connection does not declare the link listening. */
  let outages = 0;
  let closed = false;
  /** Which stream the cursor counts in: one created anew numbers from 1 again. */
  let streamCreated = stream.created;
  /** The last stream sequence handed on (or passed over, for channels nobody here wants). */
  let cursor = stream.state.last_seq;
  /** The consumer whose messages count; messages of one being replaced are ignored. */
  let generation = 0;
  let consumer: Consumer | null = null;
  let messages: ConsumerMessages | null = null;

  const reportGap = (details: object, why: string) => {
    logger.warn(details, why);
    for (const gap of gapHandlers) gap();
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

  const onStreamMessage = (msg: JsMsg, mine: number) => {
    if (closed || mine !== generation) return;
    const seq = msg.seq;
    // Handed on already: an ordered consumer recreated after a hiccup starts from its own cursor.
    if (seq <= cursor) return;
    const missing = seq - cursor - 1;
    cursor = seq;
    // Live delivery works (this message is here), so sessions told to resync miss nothing after it.
    if (missing > 0) reportGap({ from: seq - missing, to: seq - 1 }, 'nats stream no longer held events this node had not received; sessions will resync');
    const channel = natsChannel(subjectPrefix, msg.subject);
    if (channel === null) return;
    const subscription = subscriptions.get(channel);
    if (subscription === undefined || seq <= subscription.since) return;
    dispatch(channel, msg.string());
  };

  /** Reads the stream from `from` on, replacing the consumer there was. */
  async function startConsumer(from: number): Promise<void> {
    const mine = ++generation;
    const [previous, previousMessages] = [consumer, messages];
    consumer = null;
    messages = null;
    await previousMessages?.close().catch(() => {});
    previous?.delete().catch(() => {});
    const next = await js.consumers.get(config.name, { opt_start_seq: from, name_prefix: `${subjectPrefix}_` });
    const reading = await next.consume({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS, callback: (msg) => onStreamMessage(msg, mine) });
    if (closed || mine !== generation) {
      await reading.close().catch(() => {});
      await next.delete().catch(() => {});
      return;
    }
    consumer = next;
    messages = reading;
    void (async () => {
      for await (const status of await reading.status()) {
        if (closed || mine !== generation) return;
        // The ordered consumer would recreate itself at its cursor, which means nothing in a stream made anew.
        // It hears of a deleted stream by the 409 of a pull that was waiting, or, with none
        // waiting, by missed heartbeats, after which it recreates itself silently; in a stream
        // another node made anew meanwhile that succeeds. Each of these asks for a check.
        if (STREAM_MAY_BE_NEW.has(status.type)) requestCheck();
      }
    })().catch(() => {});
  }

  /**
   * After a reconnect: was anything lost? The stream is re-created if it is gone; one made
   * anew is read from its end (a gap); one whose oldest event comes after the cursor lost
   * what lay between (a gap). Otherwise the consumer brings what was missed and all is well.
   */
  async function checkStream(): Promise<void> {
    const during = outages;
    const info = await followStream(manager, config);
    if (closed) return;
    let gap: object | null = null;
    if (info.created !== streamCreated || info.state.last_seq < cursor) {
      gap = { was: streamCreated, now: info.created };
      streamCreated = info.created;
      cursor = info.state.last_seq;
      for (const subscription of subscriptions.values()) subscription.since = Math.min(subscription.since, cursor);
      await startConsumer(cursor + 1);
    } else if (info.state.last_seq > cursor && info.state.first_seq > cursor + 1) {
      gap = { from: cursor + 1, to: info.state.first_seq - 1 };
      cursor = info.state.first_seq - 1;
    }
    if (closed || during !== outages) return;
    link = 'listening';
    if (gap) reportGap(gap, 'nats stream no longer holds events published while this node was away; sessions will resync');
    else logger.info({ cursor }, 'nats broker reconnected; the stream brings what was published meanwhile');
  }

  let checking = false;
  let checkAgain = false;
  /** One check at a time; asked for during one, another follows it. Retried while connected, until it succeeds. */
  function requestCheck(): void {
    if (checking) {
      checkAgain = true;
      return;
    }
    checking = true;
    void (async () => {
      do {
        checkAgain = false;
        try {
          await checkStream();
        } catch (error) {
          logger.warn({ err: error instanceof Error ? error.message : error }, 'nats broker could not check its stream yet');
          if (closed || link === 'away') break;
          await new Promise((resolve) => setTimeout(resolve, RECHECK_MS).unref());
          checkAgain = true;
        }
      } while (checkAgain && !closed);
      checking = false;
    })();
  }

  void (async () => {
    for await (const status of nc.status()) {
      if (closed) return;
      if (status.type === Events.Disconnect) {
        if (link !== 'away') logger.warn('nats broker lost its connection; until it is back, this node delivers its own messages locally');
        link = 'away';
        outages++;
      } else if (status.type === Events.Reconnect) {
        link = 'resuming';
        requestCheck();
      }
    }
  })().catch((error: unknown) => logger.warn({ err: error }, 'nats broker status watch ended'));

  /** One flush (a PING/PONG round trip) shared by every publish of the same turn. */
  let pendingFlush: Promise<void> | null = null;
  const flush = () => {
    pendingFlush ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      pendingFlush = null;
      return nc.flush();
    });
    return pendingFlush;
  };

  /** The stream's last sequence, asked once for every subscribe of the same turn (after all of them were called). */
  let pendingTail: Promise<number> | null = null;
  const streamTail = () => {
    pendingTail ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      pendingTail = null;
      return manager.streams.info(config.name).then((info) => info.state.last_seq);
    });
    return pendingTail;
  };

  try {
    await startConsumer(cursor + 1);
  } catch (error) {
    closed = true;
    await closeNats(nc);
    throw error;
  }

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
      const waits: Promise<void>[] = [];
      const added: Subscription[] = [];
      for (const channel of channels) {
        const existing = subscriptions.get(channel);
        if (existing) {
          waits.push(existing.ready);
          continue;
        }
        const subscription: Subscription = { since: PENDING, ready: Promise.resolve() };
        subscriptions.set(channel, subscription);
        added.push(subscription);
      }
      if (added.length > 0) {
        // Away or unanswered: from the cursor, so the channel hears everything the stream brings (more than needed, never less).
        const ready = (link === 'listening' ? streamTail().catch(() => cursor) : Promise.resolve(cursor)).then((since) => {
          for (const subscription of added) if (subscription.since === PENDING) subscription.since = since;
        });
        for (const subscription of added) subscription.ready = ready;
        waits.push(ready);
      }
      await Promise.all(waits);
    },
    async unsubscribe(channels) {
      for (const channel of channels) subscriptions.delete(channel);
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
      generation++;
      subscriptions.clear();
      const [last, lastMessages] = [consumer, messages];
      // The ordered consumer is ephemeral (the server drops it after 5 minutes unused); deleting it frees it now.
      await closeNats(nc, async () => {
        await lastMessages?.close();
        await last?.delete();
      });
    },
  };
}
