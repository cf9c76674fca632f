import type { ParleyClient } from '@parley/sdk';
import { createContext, useContext } from 'react';
import type { UserDirectory } from '../lib/users.ts';

export interface AppContextValue {
  client: ParleyClient;
  users: UserDirectory;
  signOut(): Promise<void>;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside of a signed-in app');
  return value;
}
