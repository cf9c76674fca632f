export { createGateway, type Gateway, type GatewayLifecycle, WS_PATH } from './gateway.ts';
export type { Connection } from './connection.ts';
export { createFrameHandlers } from './frame-handlers.ts';
export { createEphemeralPublisher, createPublisher } from './publisher.ts';
