import type { ParleyClient } from '@parley/sdk';
import { createContext, createElement, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useApp } from '../../hooks/context.ts';

export type FileVariant = 'original' | 'thumbnail';

interface CachedUrl {
  url: string;
  /** Epoch ms; asked again a little before, so a link never expires between render and load. */
  expiresAt: number;
}

const MARGIN_MS = 15_000;

/**
 * Signed links for files, shared by every element showing the same file, asked again once
 * about to expire. One per signed-in client (links are that user's credentials), held in
 * context by the chat app.
 */
export class FileUrls {
  private readonly cache = new Map<string, Promise<CachedUrl>>();
  private readonly client: ParleyClient;

  constructor(client: ParleyClient) {
    this.client = client;
  }

  get(fileId: string, variant: FileVariant, fresh = false): Promise<CachedUrl> {
    const key = `${fileId}:${variant}`;
    const cached = this.cache.get(key);
    if (cached && !fresh) return cached.then((entry) => (entry.expiresAt - MARGIN_MS > Date.now() ? entry : this.get(fileId, variant, true)));
    const request = this.client.attachmentUrl(fileId, { variant }).then(({ url, expiresAt }) => ({ url, expiresAt: Date.parse(expiresAt) }));
    this.cache.set(key, request);
    // A failure is not kept: the next render asks again.
    request.catch(() => this.cache.get(key) === request && this.cache.delete(key));
    return request;
  }
}

const FileUrlsContext = createContext<FileUrls | null>(null);

export function FileUrlsProvider({ children }: { children: ReactNode }) {
  const { client } = useApp();
  const urls = useMemo(() => new FileUrls(client), [client]);
  return createElement(FileUrlsContext.Provider, { value: urls }, children);
}

export function useFileUrls(): FileUrls {
  const urls = useContext(FileUrlsContext);
  if (!urls) throw new Error('useFileUrls outside of FileUrlsProvider');
  return urls;
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
  const urls = useFileUrls();
  const [state, setState] = useState<{ url: string | null; expiresAt: number; failed: boolean; attempt: number }>({ url: null, expiresAt: 0, failed: false, attempt: 0 });
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    urls.get(fileId, variant, state.attempt > 0).then(
      (entry) => live && setState((current) => ({ ...current, url: entry.url, expiresAt: entry.expiresAt, failed: false })),
      () => live && setState((current) => ({ ...current, failed: true })),
    );
    return () => {
      live = false;
    };
  }, [urls, fileId, variant, enabled, state.attempt]);
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
