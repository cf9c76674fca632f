import type { ClientStatus, ParleyClient } from '@parley/sdk';
import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { UserDirectory } from '../lib/users.ts';

/**
 * Re-renders when the SDK store changes: for one conversation (its id), for the list
 * (null: any change, since previews and order depend on every conversation).
 * The store mutates in place, so the snapshot is a change counter, not the data.
 */
export function useStoreVersion(client: ParleyClient, conversationId: string | null): number {
  const version = useRef(0);
  const subscribe = useCallback(
    (notify: () => void) =>
      client.store.on('change', (changed) => {
        if (conversationId === null || changed === null || changed === conversationId) {
          version.current++;
          notify();
        }
      }),
    [client, conversationId],
  );
  return useSyncExternalStore(subscribe, () => version.current);
}

export function useClientStatus(client: ParleyClient): ClientStatus {
  const subscribe = useCallback((notify: () => void) => client.on('status', notify), [client]);
  return useSyncExternalStore(subscribe, () => client.status);
}

export function useUsersVersion(users: UserDirectory): number {
  return useSyncExternalStore(users.subscribe, users.snapshot);
}
