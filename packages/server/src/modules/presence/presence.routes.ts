import { IdParams, type IdParams as IdParamsT, PresenceResponse, PresenceSettings, PresenceSettingsBody, type PresenceSettingsBody as PresenceSettingsBodyT } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { PresenceService } from './presence.service.ts';

export function registerPresenceRoutes(app: FastifyInstance, deps: { presence: PresenceService; requireUser: PreHandler }): void {
  const { presence, requireUser } = deps;
  const common = { tags: ['presence'], security: userSecurity };

  app.get<{ Params: IdParamsT }>('/v1/presence/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'A user\'s presence as you may see it (hidden by their privacy setting or a block)', params: IdParams, response: { 200: PresenceResponse, ...errorResponses } },
  }, async (request) => ({ presence: (await presence.view(actorOf(request).userId, [request.params.id]))[0]! }));

  app.get('/v1/me/presence-privacy', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Who may see your presence', response: { 200: PresenceSettings, ...errorResponses } },
  }, async (request) => ({ privacy: await presence.privacy(actorOf(request).userId) }));

  app.put<{ Body: PresenceSettingsBodyT }>('/v1/me/presence-privacy', {
    onRequest: requireUser,
    schema: {
      ...common,
      summary: 'Choose who may see your presence: everyone, people you share a direct conversation or a group with (contacts), or nobody; people you blocked never do',
      body: PresenceSettingsBody,
      response: { 200: PresenceSettings, ...errorResponses },
    },
  }, async (request) => ({ privacy: await presence.setPrivacy(actorOf(request).userId, request.body.privacy) }));
}
