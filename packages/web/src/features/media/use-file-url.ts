import type { ParleyClient } from '@parley/sdk';
import { useCallback, useEffect, useState } from 'react';
import { useApp } from '../../hooks/context.ts';

export type FileVariant = 'original' | 'thumbnail';

interface CachedUrl {
  url: string;
  /** Epoch ms; asked again a little before, so a link never expires between render and load. */
  expiresAt: number;
}

const MARGIN_MS = 15_000;
/** Per client: links are credentials of the signed-in user, so a sign-out drops them with the client. */
const caches = new WeakMap<ParleyClient, Map<string, Promise<CachedUrl>>>();

/** A signed link for a file (shared by every element showing it), asked again once it is about to expire. */
export function fileUrl(client: ParleyClient, fileId: string, variant: FileVariant, fresh = false): Promise<CachedUrl> {
  let cache = caches.get(client);
  if (!cache) caches.set(client, (cache = new Map()));
  const key = `${fileId}:${variant}`;
  const cached = cache.get(key);
  if (cached && !fresh) {
    return cached.then((entry) => (entry.expiresAt - MARGIN_MS > Date.now() ? entry : fileUrl(client, fileId, variant, true)));
  }
  const request = client.attachmentUrl(fileId, { variant }).then(({ url, expiresAt }) => ({ url, expiresAt: Date.parse(expiresAt) }));
  cache.set(key, request);
  // A failure is not kept: the next render asks again.
  request.catch(() => cache.get(key) === request && cache.delete(key));
  return request;
}

export interface FileUrlState {
  url: string | null;
  /** Epoch ms when `url` stops working (0 while there is none). */
  expiresAt: number;
  failed: boolean;
  /** Ask for a new link (an element that failed to load: the link may have expired). */
  renew(): void;
}

/** The signed link of a file for an element (`<img>`, `<audio>`, a download link); null while it is asked for. */
export function useFileUrl(fileId: string, variant: FileVariant, enabled = true): FileUrlState {
  const { client } = useApp();
  const [state, setState] = useState<{ url: string | null; expiresAt: number; failed: boolean; attempt: number }>({ url: null, expiresAt: 0, failed: false, attempt: 0 });
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    fileUrl(client, fileId, variant, state.attempt > 0).then(
      (entry) => live && setState((current) => ({ ...current, url: entry.url, expiresAt: entry.expiresAt, failed: false })),
      () => live && setState((current) => ({ ...current, failed: true })),
    );
    return () => {
      live = false;
    };
  }, [client, fileId, variant, enabled, state.attempt]);
  // At most a few renewals for one element: a link that fails again is not an expiry.
  const renew = useCallback(() => setState((current) => (current.attempt < 2 ? { url: null, expiresAt: 0, failed: false, attempt: current.attempt + 1 } : { ...current, failed: true })), []);
  return { url: state.url, expiresAt: state.expiresAt, failed: state.failed, renew };
}

/** "1.2 MB", "840 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** "0:05", "12:30". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
