import type { FastifyRequest } from 'fastify';
import type { Actor } from '../platform/actor.ts';
import { AppError } from '../platform/errors.ts';

/** Runs as a scope's `onRequest` hook: before the body is read, so an unauthenticated caller costs no parsing and learns no schema. */
export type AccessHook = (request: FastifyRequest) => Promise<void>;

/** The bearer token of the Authorization header, if it has one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** User routes: the bearer token must authenticate a user (`request.actor` is then set). */
export function requireUser(authenticate: (token: string) => Promise<Actor>): AccessHook {
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw new AppError('unauthorized', 'Missing bearer token.');
    request.actor = await authenticate(token);
  };
}

/** Admin routes take the ADMIN_API_KEY as a bearer token. */
export function requireAdmin(isAdminKey: (presented: string | undefined) => boolean): AccessHook {
  return async (request) => {
    if (!isAdminKey(bearerToken(request))) throw new AppError('unauthorized', 'A valid admin API key is required.');
  };
}
