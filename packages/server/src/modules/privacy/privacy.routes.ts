import { BlocksResponse, IdParams, type IdParams as IdParamsT, SettingsResponse, UpdateSettingsBody, type UpdateSettingsBody as UpdateSettingsBodyT } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { PrivacyService } from './privacy.service.ts';

export function registerPrivacyRoutes(app: FastifyInstance, deps: { privacy: PrivacyService; requireUser: PreHandler }): void {
  const { privacy, requireUser } = deps;
  const common = { tags: ['privacy'], security: userSecurity };

  app.get('/v1/me/blocks', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Users you have blocked', response: { 200: BlocksResponse, ...errorResponses } },
  }, async (request) => ({ users: await privacy.blocks(actorOf(request)) }));

  app.put<{ Params: IdParamsT }>('/v1/me/blocks/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Block a user: neither of you can write in your direct conversation, and they cannot add you to groups', params: IdParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await privacy.block(actorOf(request), request.params.id);
    return {};
  });

  app.delete<{ Params: IdParamsT }>('/v1/me/blocks/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Unblock a user', params: IdParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await privacy.unblock(actorOf(request), request.params.id);
    return {};
  });

  app.get('/v1/me/settings', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Your privacy settings', response: { 200: SettingsResponse, ...errorResponses } },
  }, async (request) => ({ settings: await privacy.settings(actorOf(request)) }));

  app.patch<{ Body: UpdateSettingsBodyT }>('/v1/me/settings', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Change your privacy settings', body: UpdateSettingsBody, response: { 200: SettingsResponse, ...errorResponses } },
  }, async (request) => ({ settings: await privacy.updateSettings(actorOf(request), request.body) }));
}
