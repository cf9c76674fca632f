export { createGateway, type Gateway, WS_PATH } from './gateway.ts';
export { createFrameHandlers } from './frame-handlers.ts';
export { createPublisher } from './publisher.ts';
