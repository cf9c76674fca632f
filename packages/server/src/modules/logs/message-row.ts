import type { Message } from '@parley/protocol';
import type { MessagesTable } from '../../platform/db/index.ts';
import { iso, isoOrNull } from '../../platform/time.ts';

export function toMessage(row: MessagesTable): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    text: row.deleted_at === null ? row.text : null,
    replyTo: row.reply_to,
    createdAt: iso(row.created_at),
    editedAt: isoOrNull(row.edited_at),
    deletedAt: isoOrNull(row.deleted_at),
  };
}
