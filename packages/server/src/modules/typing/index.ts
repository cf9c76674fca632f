export { createTypingService, type TypingService } from './typing.service.ts';
