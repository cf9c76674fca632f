import type { Broker, BrokerState } from './broker.ts';

/**
 * In-process broker: the default for one node. Several brokers made from one bus behave
 * like nodes sharing Redis, which is how multi-node behaviour is tested in one process.
 */
export class MemoryBus {
  private readonly brokers = new Set<MemoryBroker>();

  connect(): Broker {
    const broker = new MemoryBroker(this);
    this.brokers.add(broker);
    return broker;
  }

  /** @internal */
  deliver(channel: string, message: string): void {
    // Like separate processes: one node's failing handler does not cost the others the message.
    const errors: unknown[] = [];
    for (const broker of this.brokers) {
      try {
        broker.receive(channel, message);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'broker message handlers failed');
  }

  /** @internal */
  detach(broker: MemoryBroker): void {
    this.brokers.delete(broker);
  }
}

class MemoryBroker implements Broker {
  private readonly channels = new Set<string>();
  private handler: (channel: string, message: string) => void = () => {};
  private closed = false;

  private readonly bus: MemoryBus;

  constructor(bus: MemoryBus) {
    this.bus = bus;
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    // Asynchronous like a network broker, so no caller relies on re-entrant delivery.
    queueMicrotask(() => this.bus.deliver(channel, message));
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    for (const channel of channels) this.channels.add(channel);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel);
  }

  onMessage(handler: (channel: string, message: string) => void): void {
    this.handler = handler;
  }

  onGap(): void {
    // An in-process bus never loses messages.
  }

  state(): BrokerState {
    return 'in-process';
  }

  receive(channel: string, message: string): void {
    if (this.channels.has(channel)) this.handler(channel, message);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    this.bus.detach(this);
  }
}

export function createMemoryBroker(bus = new MemoryBus()): Broker {
  return bus.connect();
}
