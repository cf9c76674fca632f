export { type App, type AppOverrides, createApp, VERSION } from './app.ts';
export { type Config, ConfigError, loadConfig } from './config/index.ts';
export { type Broker, createMemoryBroker, createRedisBroker, MemoryBus } from './platform/broker/index.ts';
