import type { User } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useApp } from '../../hooks/context.ts';

/** The people the viewer blocked (null until known), read again whenever the block list changes. */
export function useBlocks(): { blocked: ReadonlySet<string> | null; refresh(): void } {
  const { client } = useApp();
  const [blocked, setBlocked] = useState<ReadonlySet<string> | null>(null);
  const refresh = useCallback(() => {
    client.http.blocks().then(
      (result) => setBlocked(new Set(result.users.map((user: User) => user.id))),
      () => setBlocked((current) => current ?? new Set()),
    );
  }, [client]);
  useEffect(() => {
    refresh();
    return client.on('userEvent', (event) => {
      if (event.type === 'block.added' || event.type === 'block.removed') refresh();
    });
  }, [client, refresh]);
  return { blocked, refresh };
}
