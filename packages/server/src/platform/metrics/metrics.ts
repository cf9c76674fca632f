import { performance } from 'node:perf_hooks';
import { CloseCodes } from '@parley/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BrokerState } from '../broker/index.ts';

/** Why a new connection was turned away (the `reason` label of `parley_ws_refused_total`). */
export type RefusalReason = 'capacity' | 'event_loop_lag' | 'draining' | 'rate_limited' | 'connects_pending' | 'token';

export interface GatewayGauges {
  connections: number;
  sessions: number;
  users: number;
  topics: number;
  /** Upgrade requests taken on and not yet ready (the WS_MAX_PENDING_CONNECTS bound), and those waiting for one of those slots. */
  connectsPending: number;
  connectsWaiting: number;
}

/** Bytes queued on the node's sockets, read at scrape time (never on the hot path). */
export interface BufferedBytes {
  max: number;
  sum: number;
}

/**
 * Buckets in seconds. Latencies inside one node (frame handling, transactions) start at
 * 0.5 ms; across nodes (fan-out) the floor is the broker round trip, and the top the
 * point past which users notice.
 */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const DELIVERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Close codes the protocol names; any other code a peer sends is counted as `other` (bounded label values). */
const KNOWN_CLOSE_CODES = new Set<number>([...Object.values(CloseCodes), 1005]);

/**
 * Prometheus metrics of one app (served at GET /metrics). A registry per app, not the
 * process-global one: tests run several apps in one process.
 *
 * Hot paths pay at most one histogram observe per event (never per recipient): fan-out
 * latency is observed once per broker message a node delivers, not once per socket.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let gauges: () => GatewayGauges = () => ({ connections: 0, sessions: 0, users: 0, topics: 0, connectsPending: 0, connectsWaiting: 0 });
  let buffered: () => BufferedBytes = () => ({ max: 0, sum: 0 });
  let pushedFrames = () => 0;
  let reportedPushed = 0;
  let lag = () => 0;
  let overloaded = () => false;
  let brokerState = (): BrokerState => 'in-process';
  let pushStats = { depth: 0, oldestAgeMs: 0, dead: 0 };
  const registers = [registry];

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect() { this.set(read()); } });
  gauge('parley_ws_connections', 'Open WebSocket connections on this node (authenticated or not)', () => gauges().connections);
  gauge('parley_ws_sessions', 'Authenticated WebSocket sessions on this node', () => gauges().sessions);
  gauge('parley_hub_users', 'Users with at least one session on this node', () => gauges().users);
  gauge('parley_ws_connects_pending', 'Upgrade requests between their arrival and `ready` (verifying, upgrading, authenticating), bounded by WS_MAX_PENDING_CONNECTS', () => gauges().connectsPending);
  gauge('parley_ws_connects_waiting', 'Upgrade requests waiting for a pending-connect slot (WS_CONNECT_QUEUE)', () => gauges().connectsWaiting);
  gauge('parley_hub_topics', 'Conversations with local subscribers (broker subscriptions)', () => gauges().topics);
  gauge('parley_event_loop_lag_seconds', 'Event-loop delay (p99 of the last sample) the overload guard acts on', () => lag() / 1000);
  gauge('parley_overloaded', '1 while new connections are refused for event-loop lag', () => (overloaded() ? 1 : 0));
  gauge('parley_push_outbox_depth', 'Push work waiting: messages not yet expanded plus deliveries not yet sent (read every few seconds by a node running the push worker)', () => pushStats.depth);
  gauge('parley_push_outbox_oldest_age_seconds', 'Age of the oldest waiting push work', () => pushStats.oldestAgeMs / 1000);
  gauge('parley_push_dead_deliveries', 'Push deliveries given up after the last attempt, still recorded', () => pushStats.dead);
  gauge('parley_broker_connected', '1 while published events reach every node; 0 while the broker is away and only this node\'s own sessions get them live', () => (brokerState() === 'unavailable' ? 0 : 1));
  new Gauge({
    name: 'parley_ws_buffered_bytes',
    help: 'Bytes written to sockets but not yet sent: the largest one socket holds (stat=max) and all sockets together (stat=sum)',
    labelNames: ['stat'] as const,
    registers,
    collect() {
      const { max, sum } = buffered();
      this.set({ stat: 'max' }, max);
      this.set({ stat: 'sum' }, sum);
    },
  });
  // Utilization between two scrapes: the share of time the loop was busy (1 = saturated).
  let elu = performance.eventLoopUtilization();
  gauge('parley_event_loop_utilization', 'Share of time the event loop was busy since the previous scrape (0..1)', () => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, elu);
    elu = now;
    return since.utilization;
  });

  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets = FAST_BUCKETS) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  // Counted by the gateway in a plain number (once per recipient is too hot for a Counter's inc) and read at scrape time.
  new Counter({
    name: 'parley_fanout_frames_total',
    help: 'Pushed frames (events, typing, presence, receipts) written to sockets on this node',
    registers,
    collect() {
      const now = pushedFrames();
      if (now > reportedPushed) this.inc(now - reportedPushed);
      reportedPushed = now;
    },
  });
  const closes = new Counter({ name: 'parley_ws_closes_total', help: 'WebSocket closes on this node, by close code (codes the protocol does not name count as other)', labelNames: ['code'] as const, registers });

  return {
    registry,
    refused: new Counter({ name: 'parley_ws_refused_total', help: 'New connections refused, by reason', labelNames: ['reason'] as const, registers }),
    rateLimited: new Counter({ name: 'parley_rate_limited_total', help: 'Requests refused (or logins slowed) by a rate limit, by class of the endpoint table (or connect, call_signal, page_read) and by rule (bucket)', labelNames: ['class', 'rule'] as const, registers }),
    messagesSent: new Counter({ name: 'parley_messages_sent_total', help: 'Messages committed on this node', registers }),
    slowConsumerCloses: new Counter({ name: 'parley_slow_consumer_closes_total', help: 'Sockets closed because they did not read fast enough', registers }),
    drainCloses: new Counter({ name: 'parley_drain_closes_total', help: 'Sockets asked to reconnect elsewhere while draining', registers }),
    ephemeral: new Counter({ name: 'parley_ephemeral_published_total', help: 'Ephemeral messages published (never stored), by kind', labelNames: ['kind'] as const, registers }),
    push: {
      sent: new Counter({ name: 'parley_push_sent_total', help: 'Notifications a push provider accepted, by provider', labelNames: ['provider'] as const, registers }),
      failed: new Counter({ name: 'parley_push_failed_total', help: 'Push attempts that failed (retried or not), by provider', labelNames: ['provider'] as const, registers }),
      retried: new Counter({ name: 'parley_push_retried_total', help: 'Push attempts scheduled again after a failure, by provider', labelNames: ['provider'] as const, registers }),
      dead: new Counter({ name: 'parley_push_dead_total', help: 'Push deliveries given up (out of attempts or refused for good), by provider', labelNames: ['provider'] as const, registers }),
      deadTokens: new Counter({ name: 'parley_push_dead_tokens_total', help: 'Device tokens a provider called dead, removed, by provider', labelNames: ['provider'] as const, registers }),
      observe(stats: { depth: number; oldestAgeMs: number; dead: number }): void {
        pushStats = stats;
      },
    },
    brokerGaps: new Counter({ name: 'parley_broker_gaps_total', help: 'Times this node may have missed broker messages (an outage ended; with NATS JetStream, only when the stream no longer held them): every session on this node was told to resync', registers }),
    httpDuration: histogram('parley_http_request_duration_seconds', 'HTTP request duration, by operation (operationId of the endpoint table; unmatched for none) and status class', ['operation', 'status'] as const),
    frameDuration: histogram('parley_ws_frame_duration_seconds', 'Socket request frames, from parsed to answered, by frame type and outcome (ack or error)', ['type', 'outcome'] as const),
    sendToPublish: histogram('parley_send_to_publish_seconds', 'A message send from entering the unit of work (queueing for the group commit included) to its publication after commit', []),
    fanoutDelay: histogram('parley_fanout_delay_seconds', 'From publication (on any node) to the write to this node\'s sockets, once per delivered broker message (not per socket); across nodes it includes their clock skew', ['kind'] as const, DELIVERY_BUCKETS),
    dbTransaction: histogram('parley_db_transaction_duration_seconds', 'Write transactions of the unit of work, from begin to commit (a group commit counts once)', ['outcome'] as const),
    dbQuery: histogram('parley_db_query_duration_seconds', 'Database statements run through the query builder, by outcome (ok or error); the embedded store\'s batched send statements count only in their transaction', ['outcome'] as const),
    brokerReceiveLag: histogram('parley_broker_receive_lag_seconds', 'From publication (on any node) to this node receiving it from the broker, before ordering and delivery; once per conversation or user event and node. Across nodes it includes their clock skew', ['kind'] as const, DELIVERY_BUCKETS),
    brokerPublish: histogram('parley_broker_publish_seconds', 'Broker publish, from the call until the broker accepted it, by outcome', ['outcome'] as const),
    connectToReady: histogram('parley_ws_connect_to_ready_seconds', 'A socket from the upgrade to its ready frame (token check, admission, subscriptions)', [], DELIVERY_BUCKETS),
    /** Counts a socket's close code. */
    closed(code: number): void {
      closes.inc({ code: KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other' });
    },
    /** Where the gauges read from; set once the gateway exists. */
    observeGateway(read: () => GatewayGauges, readBuffered?: () => BufferedBytes, readPushed?: () => number): void {
      gauges = read;
      if (readBuffered) buffered = readBuffered;
      if (readPushed) pushedFrames = readPushed;
    },
    observeLoad(readLag: () => number, readOverloaded: () => boolean): void {
      lag = readLag;
      overloaded = readOverloaded;
    },
    observeBroker(read: () => BrokerState): void {
      brokerState = read;
    },
    async render(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Seconds since a `performance.now()` reading. */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;
