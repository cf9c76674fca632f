export { createMessagesService, type MessagesService, type SendInput } from './messages.service.ts';
export { registerMessageRoutes } from './messages.routes.ts';
