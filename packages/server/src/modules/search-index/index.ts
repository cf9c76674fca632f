// Keeping the search index in step with the data it covers; reading it is the search module's job.
export { createMessageIndex, type IndexedMessage, type MessageIndex } from './message-index.repository.ts';
export { putSearchTerms } from './search-terms.repository.ts';
export { conversationToken, documentText, fold, fts5Match, MAX_QUERY_TERMS, nameTerms, type QueryTerm, queryTerms } from '../../platform/search-text.ts';
