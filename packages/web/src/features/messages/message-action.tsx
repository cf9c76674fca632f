import { createContext, type ReactNode, useCallback, useContext, useState, useSyncExternalStore } from 'react';
import { focusMessageActions } from './message-element.ts';

export type MessageActionKind = 'react' | 'emoji' | 'forward' | 'report' | 'info';
export type MessageAction = { kind: MessageActionKind; conversationId: string; messageId: string };

/**
 * Which message has its reaction picker or a dialog open. One at a time: the menu that
 * asks for it closes (and unmounts) at once, so the message itself shows it.
 *
 * A small store rather than a context value: messages are memoized, and a new context
 * value would re-render every one of them; this way only the messages whose action
 * changed do.
 */
class OpenMessageAction {
  private current: MessageAction | null = null;
  private readonly listeners = new Set<() => void>();

  get(): MessageAction | null {
    return this.current;
  }

  set(action: MessageAction | null): void {
    this.current = action;
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

const MessageActionContext = createContext<OpenMessageAction | null>(null);

/** Holds the open message action of one conversation view. */
export function MessageActionProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => new OpenMessageAction());
  return <MessageActionContext.Provider value={store}>{children}</MessageActionContext.Provider>;
}

function useOpenMessageAction(): OpenMessageAction {
  const store = useContext(MessageActionContext);
  if (!store) throw new Error('message actions outside of a MessageActionProvider');
  return store;
}

/** The action open on this message, if any. */
export function useMessageAction(conversationId: string, messageId: string): MessageActionKind | null {
  const store = useOpenMessageAction();
  return useSyncExternalStore(store.subscribe, () => {
    const open = store.get();
    return open && open.conversationId === conversationId && open.messageId === messageId ? open.kind : null;
  });
}

/** Opens an action on a message (closing whatever was open), or closes it with null. */
export function useSetMessageAction(): (action: MessageAction | null) => void {
  const store = useOpenMessageAction();
  return useCallback((action) => store.set(action), [store]);
}

/** Closes the message's action if it is the one open; `refocus` puts focus back on the message's action button. */
export function useCloseMessageAction(): (messageId: string, refocus: boolean) => void {
  const store = useOpenMessageAction();
  return useCallback(
    (messageId, refocus) => {
      if (store.get()?.messageId !== messageId) return;
      store.set(null);
      if (refocus) focusMessageActions(messageId);
    },
    [store],
  );
}
