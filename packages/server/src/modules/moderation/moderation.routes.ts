import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { ModerationService } from './moderation.service.ts';

export function moderationRoutes(deps: { moderation: ModerationService }): Route[] {
  const { moderation } = deps;
  return [
    route(Endpoints.createReport, async ({ actor, body }) => ({ report: await moderation.report(actor, body) })),
    route(Endpoints.listReports, async ({ actor, params, query }) => {
      const result = await moderation.conversationReports(actor, params.id, query.status, query.cursor, query.limit ?? 50);
      return { reports: result.items, nextCursor: result.nextCursor };
    }),
    route(Endpoints.resolveReport, async ({ actor, params, body }) => ({ report: await moderation.resolveInConversation(actor, params.id, params.reportId, body) })),
    route(Endpoints.listAudit, async ({ actor, params, query }) => {
      const result = await moderation.conversationAudit(actor, params.id, query.cursor, query.limit ?? 50);
      return { entries: result.items, nextCursor: result.nextCursor };
    }),
  ];
}
