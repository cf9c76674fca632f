import type { Conversation, Message } from '@parley/protocol';
import { useId, useRef, useState } from 'react';
import { MoreIcon } from '../../components/icons.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { usePopupNavigation } from '../../hooks/use-popup-navigation.ts';
import { describeError } from '../../lib/errors.ts';
import { canPin } from '../../lib/permissions.ts';
import { currentSummary } from './current-summary.ts';
import { DeleteForMe } from '../inbox/delete-for-me.tsx';
import { type MessageActionKind, useSetMessageAction } from './message-action.tsx';
import type { MessageItemProps } from './message-item.tsx';

/** One button per message (a single tab stop), opening a small menu of what the viewer may do. */
export function MessageMenu(props: MessageItemProps) {
  const { message } = props;
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const notify = useNotify();

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const onKeyDown = usePopupNavigation(menu, { open, items: '[role="menuitem"]', orientation: 'vertical', close, ignorePress: (target) => !!button.current?.contains(target) });
  const act = (action: () => void) => () => {
    close(false);
    action();
  };

  return (
    <div className="message-actions">
      <button
        ref={button}
        type="button"
        className="icon-button message-menu-button"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((value) => !value)}
      >
        <MoreIcon />
      </button>
      {open && (
        <div ref={menu} id={menuId} className="menu" role="menu" aria-label="Message actions" onKeyDown={onKeyDown}>
          <button type="button" role="menuitem" onClick={act(() => props.onReply(message))}>
            Reply
          </button>
          {props.canEdit && (
            <button type="button" role="menuitem" onClick={act(() => props.onEdit(message))}>
              Edit
            </button>
          )}
          <button
            type="button"
            role="menuitem"
            onClick={act(() => {
              navigator.clipboard?.writeText(message.text ?? '').then(
                () => notify('Copied'),
                () => notify('Could not copy'),
              );
            })}
          >
            Copy text
          </button>
          <ReactPinForwardReport conversation={props.conversation} message={message} close={() => close(false)} />
          {props.canDelete && (
            <button type="button" role="menuitem" className="danger" onClick={act(() => props.onDelete(message))}>
              Delete
            </button>
          )}
          <DeleteForMe conversationId={props.conversation.id} message={message} close={() => close(false)} />
        </div>
      )}
    </div>
  );
}

/** The menu's items that open something on the message or ask the server: react, pin or unpin, forward, report. */
function ReactPinForwardReport({ conversation: given, message, close }: { conversation: Conversation; message: Message; close(): void }) {
  const { client } = useApp();
  const notify = useNotify();
  const setAction = useSetMessageAction();
  const conversation = currentSummary(client, given);
  const open = (kind: MessageActionKind) => {
    close();
    setAction({ kind, conversationId: conversation.id, messageId: message.id });
  };
  const pinned = conversation.pinnedMessageIds.includes(message.id);
  const togglePin = () => {
    close();
    const request = pinned ? client.http.unpin(conversation.id, message.id) : client.http.pin(conversation.id, message.id);
    request.catch((error: unknown) => notify(`Could not ${pinned ? 'unpin' : 'pin'}: ${describeError(error)}`));
  };
  return (
    <>
      <button type="button" role="menuitem" onClick={() => open('react')}>
        React
      </button>
      {canPin(conversation) && (
        <button type="button" role="menuitem" onClick={togglePin}>
          {pinned ? 'Unpin' : 'Pin'}
        </button>
      )}
      {!conversation.settings.protectedContent && (
        <button type="button" role="menuitem" onClick={() => open('forward')}>
          Forward…
        </button>
      )}
      <button type="button" role="menuitem" onClick={() => open('info')}>
        Info
      </button>
      {message.senderId !== client.me?.id && (
        <button type="button" role="menuitem" onClick={() => open('report')}>
          Report…
        </button>
      )}
    </>
  );
}
