import type { User } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useApp } from '../../hooks/context.ts';

/**
 * The people the viewer blocked (null until known), read again whenever the block list
 * changes. `enabled: false` reads nothing (only direct conversations need it).
 */
export function useBlocks(enabled = true): { blocked: ReadonlySet<string> | null; refresh(): void } {
  const { client } = useApp();
  const [blocked, setBlocked] = useState<ReadonlySet<string> | null>(null);
  const refresh = useCallback(() => {
    client.http.blocks().then(
      (result) => setBlocked(new Set(result.users.map((user: User) => user.id))),
      () => setBlocked((current) => current ?? new Set()),
    );
  }, [client]);
  useEffect(() => {
    if (!enabled) return;
    refresh();
    return client.on('userEvent', (event) => {
      if (event.type === 'block.added' || event.type === 'block.removed') refresh();
    });
  }, [client, refresh, enabled]);
  return { blocked, refresh };
}
