import { createContext, type ReactNode, useContext, useState } from 'react';

/** Unsent text by conversation id. */
export interface Drafts {
  get(conversationId: string): string | undefined;
  set(conversationId: string, text: string): void;
  delete(conversationId: string): void;
}

const DraftsContext = createContext<Drafts | null>(null);

/** Drafts older than this are dropped when the page starts (a forgotten half-sentence is not worth keeping forever). */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** At most this many conversations keep a draft; the oldest go first. */
const MAX_DRAFTS = 200;

type Stored = Record<string, { text: string; at: number }>;

/**
 * Unsent text per conversation, in this browser's localStorage under the signed-in user
 * (another account in the same browser has its own): the composer is remounted for every
 * conversation, and a reload must not lose what was typed either. Signing out removes them.
 * Writes happen on every change (drafts are small); nothing re-renders on a change (the
 * composer reads its draft once, when it mounts).
 */
export function createDrafts(userId: string, storage: Storage | null = safeLocalStorage()): Drafts & { clear(): void } {
  const key = `parley.drafts.${userId}`;
  let drafts: Stored = {};
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? '{}');
    if (parsed && typeof parsed === 'object') {
      const now = Date.now();
      for (const [id, value] of Object.entries(parsed as Stored)) {
        if (typeof value?.text === 'string' && typeof value.at === 'number' && now - value.at < MAX_AGE_MS) drafts[id] = value;
      }
    }
  } catch {
    drafts = {};
  }
  const save = () => {
    try {
      if (Object.keys(drafts).length === 0) storage?.removeItem(key);
      else storage?.setItem(key, JSON.stringify(drafts));
    } catch {
      // Storage full or unavailable: drafts last as long as the page.
    }
  };
  return {
    get: (conversationId) => drafts[conversationId]?.text,
    set(conversationId, text) {
      if (text === '') return this.delete(conversationId);
      drafts[conversationId] = { text, at: Date.now() };
      const ids = Object.keys(drafts);
      if (ids.length > MAX_DRAFTS) {
        const oldest = ids.sort((a, b) => drafts[a]!.at - drafts[b]!.at).slice(0, ids.length - MAX_DRAFTS);
        for (const id of oldest) delete drafts[id];
      }
      save();
    },
    delete(conversationId) {
      if (!(conversationId in drafts)) return;
      delete drafts[conversationId];
      save();
    },
    clear() {
      drafts = {};
      save();
    },
  };
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function DraftsProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const [drafts] = useState(() => createDrafts(userId));
  return <DraftsContext.Provider value={drafts}>{children}</DraftsContext.Provider>;
}

/** Forgets a user's drafts in this browser (on signing out). */
export function clearDrafts(userId: string): void {
  createDrafts(userId).clear();
}

export function useDrafts(): Drafts {
  const drafts = useContext(DraftsContext);
  if (!drafts) throw new Error('useDrafts outside of a DraftsProvider');
  return drafts;
}
