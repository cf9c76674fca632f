import { EventsQuery, type EventsQuery as EventsQueryT, EventsResponse, HeadsResponse, IdParams, type IdParams as IdParamsT, UserEventsResponse } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { SyncService } from './sync.service.ts';

export function registerSyncRoutes(app: FastifyInstance, deps: { sync: SyncService; requireUser: PreHandler }): void {
  const { sync, requireUser } = deps;
  const common = { tags: ['sync'], security: userSecurity };

  app.get<{ Params: IdParamsT; Querystring: EventsQueryT }>('/v1/conversations/:id/events', {
    onRequest: requireUser,
    schema: { ...common, summary: 'A page of the conversation\'s log after a seq, in order', params: IdParams, querystring: EventsQuery, response: { 200: EventsResponse, ...errorResponses } },
  }, (request) => sync.events(actorOf(request), request.params.id, request.query.after ?? 0, request.query.limit));

  app.get<{ Querystring: EventsQueryT }>('/v1/me/events', {
    onRequest: requireUser,
    schema: { ...common, summary: 'A page of your own log (membership, read pointers, profile) after a seq', querystring: EventsQuery, response: { 200: UserEventsResponse, ...errorResponses } },
  }, (request) => sync.userEvents(actorOf(request), request.query.after ?? 0, request.query.limit));

  app.get('/v1/me/heads', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Where your log and each of your conversations\' logs end', response: { 200: HeadsResponse, ...errorResponses } },
  }, (request) => sync.heads(actorOf(request)));
}
