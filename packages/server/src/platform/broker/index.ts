export type { Broker, BrokerState } from './broker.ts';
export { createMemoryBroker, MemoryBus } from './memory-broker.ts';
export { createRedisBroker } from './redis-broker.ts';
export { withPublishTiming } from './timed-broker.ts';
export { createNatsBroker, natsSubject } from './nats-broker.ts';
