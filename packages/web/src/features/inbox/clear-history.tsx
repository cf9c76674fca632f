import { useState } from 'react';
import { ConfirmDialog } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';

/** In a conversation's details: delete the history so far for yourself (all your devices); the others keep it. */
export function ClearHistory({ conversationId }: { conversationId: string }) {
  const { client } = useApp();
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="panel-section">
      <button type="button" className="button button-danger-outline" onClick={() => setConfirming(true)}>
        Clear history
      </button>
      <ConfirmDialog
        open={confirming}
        title="Clear history for you?"
        message="The messages so far disappear on all your devices. The others in this conversation keep them."
        confirmLabel="Clear history"
        danger
        onClose={() => setConfirming(false)}
        onConfirm={() => {
          client.clearHistoryForMe(conversationId).catch((error: unknown) => notify(`Could not clear the history: ${describeError(error)}`));
        }}
      />
    </div>
  );
}
