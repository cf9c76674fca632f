import { createContext, type ReactNode, useContext, useState } from 'react';

const DraftsContext = createContext<Map<string, string> | null>(null);

/**
 * Unsent text per conversation, kept while the signed-in app is shown: the composer is
 * remounted for every conversation, so its own state would lose what was typed.
 * Nothing re-renders on a change (the composer reads its draft once, when it mounts).
 */
export function DraftsProvider({ children }: { children: ReactNode }) {
  const [drafts] = useState(() => new Map<string, string>());
  return <DraftsContext.Provider value={drafts}>{children}</DraftsContext.Provider>;
}

/** Unsent text by conversation id. */
export function useDrafts(): Map<string, string> {
  const drafts = useContext(DraftsContext);
  if (!drafts) throw new Error('useDrafts outside of a DraftsProvider');
  return drafts;
}
