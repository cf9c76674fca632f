export { createMessagesService, type MessageFiles, type MessagesService, type SendInput } from './messages.service.ts';
export { messageRoutes } from './messages.routes.ts';
