/** Messages between the server's event loop and the SQLite writer thread (sqlite-writer.worker.ts). */

export interface WriterSetup {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
}

export type WriterRequest =
  | { id: number; close?: undefined; sql: string; parameters: readonly unknown[] }
  | { id: number; close: true };

export interface WriterReply {
  id: number;
  /** The first message, once the database is open in WAL mode. */
  ready?: true;
  result?: { rows: Record<string, unknown>[]; changes?: number; lastInsertRowid?: number };
  error?: { message: string; code: string | undefined; name: string };
}
