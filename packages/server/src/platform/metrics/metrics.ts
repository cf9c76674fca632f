import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { BrokerState } from '../broker/index.ts';

/** Why a new connection was turned away (the `reason` label of `parley_ws_refused_total`). */
export type RefusalReason = 'capacity' | 'event_loop_lag' | 'draining' | 'rate_limited';

export interface GatewayGauges {
  connections: number;
  sessions: number;
  users: number;
  topics: number;
}

/**
 * Prometheus metrics of one app (served at GET /metrics). A registry per app, not the
 * process-global one: tests run several apps in one process.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let gauges: () => GatewayGauges = () => ({ connections: 0, sessions: 0, users: 0, topics: 0 });
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
  gauge('parley_hub_topics', 'Conversations with local subscribers (broker subscriptions)', () => gauges().topics);
  gauge('parley_event_loop_lag_seconds', 'Event-loop delay (p99 of the last sample) the overload guard acts on', () => lag() / 1000);
  gauge('parley_overloaded', '1 while new connections are refused for event-loop lag', () => (overloaded() ? 1 : 0));
  gauge('parley_push_outbox_depth', 'Push work waiting: messages not yet expanded plus deliveries not yet sent (read every few seconds by a node running the push worker)', () => pushStats.depth);
  gauge('parley_push_outbox_oldest_age_seconds', 'Age of the oldest waiting push work', () => pushStats.oldestAgeMs / 1000);
  gauge('parley_push_dead_deliveries', 'Push deliveries given up after the last attempt, still recorded', () => pushStats.dead);
  gauge('parley_broker_connected', '1 while published events reach every node; 0 while Redis is away and only this node\'s own sessions get them live', () => (brokerState() === 'unavailable' ? 0 : 1));

  return {
    registry,
    refused: new Counter({ name: 'parley_ws_refused_total', help: 'New connections refused, by reason', labelNames: ['reason'] as const, registers }),
    rateLimited: new Counter({ name: 'parley_rate_limited_total', help: 'Requests refused by a rate limit, by rule', labelNames: ['rule'] as const, registers }),
    messagesSent: new Counter({ name: 'parley_messages_sent_total', help: 'Messages committed on this node', registers }),
    fanoutFrames: new Counter({ name: 'parley_fanout_frames_total', help: 'Pushed frames (events, typing, presence, receipts) written to sockets on this node', registers }),
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
    /** Where the gauges read from; set once the gateway exists. */
    observeGateway(read: () => GatewayGauges): void {
      gauges = read;
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
