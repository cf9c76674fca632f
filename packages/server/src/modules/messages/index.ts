export { createMessagesService, mentionedHandles, type MessageFiles, type MessagesService, type PushEnqueue, type SendInput } from './messages.service.ts';
export { messageRoutes } from './messages.routes.ts';
