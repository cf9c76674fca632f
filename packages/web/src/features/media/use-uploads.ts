import type { FileInfo } from '@parley/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeUploadError, isAbort } from './upload-errors.ts';

/** The server takes at most this many files on one message (protocol Limits.attachmentsPerMessage). */
export const MAX_FILES = 10;

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  /** Bytes sent so far. */
  sent: number;
  state: 'uploading' | 'ready' | 'failed';
  file: FileInfo | null;
  error: string | null;
}

/**
 * Files chosen for the next message: each starts uploading at once (so sending is quick),
 * shows its progress, and can be cancelled or removed until the message is sent.
 */
export function useUploads(conversationId: string) {
  const { client } = useApp();
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Map<string, AbortController>());
  const counter = useRef(0);

  const update = (key: string, change: Partial<UploadItem>) => setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const add = useCallback(
    (files: Array<File | { blob: Blob; name: string }>, options: { kind?: 'voice' } = {}): number => {
      let room = MAX_FILES - items.filter((item) => item.state !== 'failed').length;
      let refused = 0;
      const added: UploadItem[] = [];
      for (const entry of files) {
        if (room <= 0) {
          refused++;
          continue;
        }
        room--;
        const blob = entry instanceof Blob ? entry : entry.blob;
        const name = entry instanceof File ? entry.name || 'file' : 'blob' in entry ? entry.name : 'file';
        const key = `u${++counter.current}`;
        const controller = new AbortController();
        controllers.current.set(key, controller);
        added.push({ key, name, size: blob.size, sent: 0, state: 'uploading', file: null, error: null });
        client
          .uploadFile(blob, { name, ...(options.kind ? { kind: options.kind } : {}), signal: controller.signal, onProgress: (sent) => update(key, { sent }) })
          .then(
            (file) => update(key, { state: 'ready', file, sent: file.size }),
            (error: unknown) => {
              if (!isAbort(error)) update(key, { state: 'failed', error: describeUploadError(error, name) });
            },
          )
          .finally(() => controllers.current.delete(key));
      }
      if (added.length) setItems((current) => [...current, ...added]);
      return refused;
    },
    [client, items],
  );

  /** Cancels an upload under way, or takes a chosen file off the message. */
  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    controllers.current.delete(key);
    setItems((current) => current.filter((item) => item.key !== key));
  }, []);

  /** After sending: the chips go (the files now belong to the message). */
  const clear = useCallback(() => {
    setItems([]);
  }, []);

  // Another conversation, or the composer goes away: uploads under way are cancelled.
  useEffect(
    () => () => {
      for (const controller of controllers.current.values()) controller.abort();
      controllers.current.clear();
      setItems([]);
    },
    [conversationId],
  );

  const ready = items.filter((item) => item.state === 'ready' && item.file).map((item) => item.file!.id);
  const busy = items.some((item) => item.state === 'uploading');
  const failed = items.some((item) => item.state === 'failed');
  return { items, add, remove, clear, ready, busy, failed };
}
