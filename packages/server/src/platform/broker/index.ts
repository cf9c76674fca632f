export type { Broker, BrokerState } from './broker.ts';
export { createMemoryBroker, MemoryBus } from './memory-broker.ts';
export { createRedisBroker } from './redis-broker.ts';
export { withPublishTiming } from './timed-broker.ts';
export { createNatsBroker } from './nats-broker.ts';
export { createNatsJetStreamBroker } from './nats-jetstream-broker.ts';
export { type JetStreamRetention, streamNameOf } from './nats-stream.ts';
export { natsChannel, natsSubject } from './nats-subjects.ts';
