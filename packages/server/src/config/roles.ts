import type { Role } from './config.ts';

/**
 * What each `ROLE` runs. Split roles share PostgreSQL and Redis (the configuration refuses
 * them otherwise): what an api process commits reaches gateways through the broker, and the
 * jobs a worker runs read and write the same tables.
 */
export const servesSockets = (role: Role): boolean => role === 'all' || role === 'gateway';
export const servesApi = (role: Role): boolean => role === 'all' || role === 'api';
/** Call sweep, push worker, expired-file sweep, retention. */
export const runsBackgroundJobs = (role: Role): boolean => role === 'all' || role === 'worker';
