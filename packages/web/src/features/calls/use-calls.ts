import { createContext, useContext, useSyncExternalStore } from 'react';
import type { CallController } from './call-controller.ts';

export const CallsContext = createContext<CallController | null>(null);

/** The device's calls (re-renders when what rings or the call it is in changes). */
export function useCalls(): CallController {
  const controller = useContext(CallsContext);
  if (!controller) throw new Error('useCalls outside of the signed-in app');
  useSyncExternalStore(controller.subscribe, controller.getVersion);
  return controller;
}
