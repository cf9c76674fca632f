import type { Message } from '@parley/protocol';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';

/** The message menu's "Delete for me": hidden on all your devices (a user-log event), the others keep it. */
export function DeleteForMe({ conversationId, message, close }: { conversationId: string; message: Message; close(): void }) {
  const { client } = useApp();
  const notify = useNotify();
  return (
    <button
      type="button"
      role="menuitem"
      className="danger"
      onClick={() => {
        close();
        client.deleteForMe(conversationId, [message.id]).catch((error: unknown) => notify(`Could not delete: ${describeError(error)}`));
      }}
    >
      Delete for me
    </button>
  );
}
