/** Messages between the server's event loop and the SQLite writer thread (sqlite-writer.worker.ts). */

export interface WriterSetup {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
}

export interface WriterStatement {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Statements travel as flat triples `[key, sql | null, parameters, …]`: a statement's SQL
 * text crosses the thread boundary once, with the key it is known by from then on (the
 * writer keeps it prepared under that key); later uses send only the key and the
 * parameters. Cloning kilobytes of SQL per send was most of the cost of a round trip. A
 * key of `UNKEYED` carries its text every time (past the bound on keys, see the driver).
 */
export const UNKEYED = -1;

/**
 * Statements run in order, in one message (writes deferred by the sender travel together
 * with the read that needed them done); the reply carries the last one's result, or the
 * first error, after which the rest are not run.
 */
export type WriterRequest =
  | { id: number; close?: undefined; statements: readonly unknown[]; /** Answer every statement's result, not only the last. */ all?: boolean }
  | { id: number; close: true };

export interface WriterReply {
  id: number;
  /** The first message, once the database is open in WAL mode. */
  ready?: true;
  result?: WriterResult;
  /** With `all`: one result per statement. */
  results?: WriterResult[];
  /** `at`: the index of the statement that failed (absent when the request failed outside one). */
  error?: { message: string; code: string | undefined; name: string; at?: number };
}

export interface WriterResult {
  rows: Record<string, unknown>[];
  changes?: number;
  lastInsertRowid?: number;
}
