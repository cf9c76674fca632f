export { ChangeSet, type MembershipHint, type PublishedConversationEvent, type PublishedUserEvent, type Publisher, type SessionControl } from './changes.ts';
export { createUnitOfWork, type UnitOfWork, type UnitOfWorkTiming } from './unit-of-work.ts';
export { appendEvent, lockConversation, lockConversationQuery, nextSeqQuery, nextSeqStatement, readEvents, recordEvent, takeNextSeq } from './conversation-log.repository.ts';
export { appendUserEvent, readUserEvents, userLogHead } from './user-log.repository.ts';
export { reactionCounts, toMessage, toMessages } from './message-row.ts';
export { appendAudit, type AuditInput } from './audit.repository.ts';
