/**
 * Moves already-serialized messages between nodes. Delivery is at most once and in
 * publish order per publisher and channel; nothing depends on it for correctness
 * (the logs do), it only makes delivery live. Every implementation passes the same
 * conformance suite (`broker.conformance.ts`).
 */
export interface Broker {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once messages published afterwards on these channels will be delivered. */
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channels: readonly string[]): Promise<void>;
  /** One handler per broker: the node's hub. */
  onMessage(handler: (channel: string, message: string) => void): void;
  /** Called after an outage: messages may have been lost, so sessions should resync. */
  onGap(handler: () => void): void;
  close(): Promise<void>;
}
