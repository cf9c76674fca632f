import type { Conversation } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';

/** The conversation as the store has it now (the prop may be an older render's object). */
export function currentSummary(client: ParleyClient, conversation: Conversation): Conversation {
  return client.store.get(conversation.id)?.summary ?? conversation;
}
