/**
 * How far a broker's messages reach right now: `in-process` (one node, nothing else to
 * reach), `connected` (every node sharing the transport), `unavailable` (the transport is
 * away: only this node's own subscribers hear what it publishes; other nodes catch up from
 * the logs once it is back and a gap is reported).
 */
export type BrokerState = 'in-process' | 'connected' | 'unavailable';

/**
 * Moves already-serialized messages between nodes. Delivery is at most once and in
 * publish order per publisher and channel; nothing depends on it for correctness
 * (the logs do), it only makes delivery live. Every implementation passes the same
 * conformance suite (`broker.conformance.ts`).
 *
 * A broker keeps delivering to its own node's subscribers while its shared transport is
 * away (a node without Redis still serves its own sockets live); it never delivers one
 * message twice when the transport comes back.
 */
export interface Broker {
  /**
   * Resolves once it reached every node that hears the transport. Rejects when it could
   * not reach other nodes; this node's own subscribers have it even then — except when it
   * failed after it was handed to the transport (a connection reset with it in flight):
   * it may have been delivered, so it is not handed over again, and sessions find it in
   * the logs (when the outage took the subscriber too, its gap report makes them resync).
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Resolves once messages published afterwards on these channels will be delivered (while
   * the transport is away: at once; other nodes' messages are heard again after the gap).
   */
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channels: readonly string[]): Promise<void>;
  /** One handler per broker: the node's hub. */
  onMessage(handler: (channel: string, message: string) => void): void;
  /** Called after an outage: messages may have been lost, so sessions should resync. */
  onGap(handler: () => void): void;
  state(): BrokerState;
  close(): Promise<void>;
}
