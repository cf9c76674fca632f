export { type Database, type DatabaseOptions, type Dialect, type Executor, openDatabase, type Tx } from './database.ts';
export type * from './schema.ts';
export { CarriedWriteError, DatabaseUnavailableError, isDatabaseUnreachable, isRetryableTransactionError, isUniqueViolation } from './db-errors.ts';
export { type BatchLoader, createBatchLoader } from './batch-loader.ts';
export { preparedInsert, preparedQuery } from './prepared-query.ts';
