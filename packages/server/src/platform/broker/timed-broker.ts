import { performance } from 'node:perf_hooks';
import type { Broker } from './broker.ts';

/**
 * The same broker, with every publish timed from the call until the transport accepted it
 * (or refused it): the node's broker publish lag. Two clock readings and one callback per
 * publish; everything else passes through.
 */
export function withPublishTiming(broker: Broker, observe: (seconds: number, outcome: 'ok' | 'failed') => void): Broker {
  return {
    async publish(channel, message) {
      const started = performance.now();
      try {
        await broker.publish(channel, message);
      } catch (error) {
        observe((performance.now() - started) / 1000, 'failed');
        throw error;
      }
      observe((performance.now() - started) / 1000, 'ok');
    },
    subscribe: (channels) => broker.subscribe(channels),
    unsubscribe: (channels) => broker.unsubscribe(channels),
    onMessage: (handler) => broker.onMessage(handler),
    onGap: (handler) => broker.onGap(handler),
    state: () => broker.state(),
    close: () => broker.close(),
  };
}
