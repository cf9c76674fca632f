import type { ParleyClient } from '@parley/sdk';
import { createContext, useContext } from 'react';
import type { UserDirectory } from '../lib/users.ts';

export interface AppContextValue {
  client: ParleyClient;
  /** The device session the client runs on (null once signed out). */
  sessionId(): string | null;
  users: UserDirectory;
  signOut(): Promise<void>;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside of a signed-in app');
  return value;
}
